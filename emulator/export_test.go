package emulator

// Crash stops s as the death of its process would: nothing more is written
// (no final save, no sync, the marker of an unsynced state stays), timers
// stop, and the state directory's lock is released for the next server.
func (s *Server) Crash() {
	s.mu.Lock()
	s.closed = true
	for _, t := range s.timers {
		t.Stop()
	}
	s.mu.Unlock()
	s.saves.mu.Lock()
	s.saves.stopped = true
	s.saves.mu.Unlock()
	// Its background work stops with it: the neighbour services (which
	// write their own files in the directory) and Event invokes.
	s.cancel()
	s.bg.Wait()
	s.svc.close()
	s.unlock()
}
