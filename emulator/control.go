package emulator

import (
	"io"
	"net/http"
	"path/filepath"
)

// controlRoutes adds lamb's own endpoints: info, faults, the call log and
// code downloads (GetFunction's Code.Location).
func (s *Server) controlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /_lamb/info", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.info(r))
	})
	mux.HandleFunc("POST /_lamb/faults", s.postFaults)
	mux.HandleFunc("DELETE /_lamb/faults", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.faults = nil
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_lamb/calls", func(w http.ResponseWriter, r *http.Request) {
		calls := s.Calls()
		if calls == nil {
			calls = []Call{}
		}
		writeJSON(w, http.StatusOK, calls)
	})
	mux.HandleFunc("DELETE /_lamb/calls", func(w http.ResponseWriter, r *http.Request) {
		s.ResetCalls()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_lamb/code/{sha}", s.getCode)
	mux.HandleFunc("/_lamb/", http.NotFound)
}

// postFaults queues the faults of the body: one Fault object or an array.
func (s *Server) postFaults(w http.ResponseWriter, r *http.Request) {
	if e := checkContentType(r, bodyJSON); e != nil {
		s.refuse(w, r, e)
		return
	}
	var fs []wireFault
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err == nil {
		err = decodeFaults(body, &fs)
	}
	if err != nil {
		errf(http.StatusBadRequest, "InvalidRequestContentException", "bad fault: %v", err).write(w)
		return
	}
	for _, f := range fs {
		s.Inject(f.toFault())
	}
	writeJSON(w, http.StatusOK, map[string]int{"injected": len(fs)})
}

// getCode serves a stored zip by its hex SHA-256.
func (s *Server) getCode(w http.ResponseWriter, r *http.Request) {
	hexSum := r.PathValue("sha")
	if !isHex(hexSum) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	http.ServeFile(w, r, filepath.Join(s.codeDir, hexSum+".zip"))
}

func isHex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
