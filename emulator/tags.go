package emulator

import (
	"maps"
	"net/http"
	"strings"

	"github.com/lambctl/lamb/emulator/awsjson"
)

// Tags live on the unqualified function ARN (TagResource, ListTags,
// UntagResource); a change of tags changes $LATEST's RevisionId.

// tagTargetLocked finds the function a tag operation's ARN names.
func (s *Server) tagTargetLocked(q request) (*function, error) {
	if !strings.HasPrefix(q.function, "arn:") {
		return nil, validationErr(q.function, "resource", "Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:(function:[a-zA-Z0-9-_]+(:(\\$LATEST|[a-zA-Z0-9-_]+))?|layer:[a-zA-Z0-9-_]+)")
	}
	name, qual, aerr := s.parseName(q.function)
	if aerr != nil {
		return nil, aerr
	}
	if qual != "" {
		return nil, invalidParam("Tags on function aliases and versions are not supported. Please specify a function ARN.")
	}
	fn := s.st.Functions[name]
	if fn == nil {
		return nil, notFound(s.arn(name))
	}
	return fn, nil
}

func (s *Server) listTags(q request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn, err := s.tagTargetLocked(q)
	if err != nil {
		return err
	}
	tags := maps.Clone(fn.Tags)
	if tags == nil {
		tags = map[string]string{}
	}
	writeJSON(q.w, http.StatusOK, map[string]any{"Tags": tags})
	return nil
}

func (s *Server) tagResource(q request) error {
	var in struct{ Tags map[string]string }
	if err := readBody(q, 1<<20, &in); err != nil {
		return err
	}
	if err := validateTags(in.Tags); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fn, err := s.tagTargetLocked(q)
	if err != nil {
		return err
	}
	next := maps.Clone(fn.Tags)
	if next == nil {
		next = map[string]string{}
	}
	maps.Copy(next, in.Tags)
	if err := validateTags(next); err != nil {
		return err
	}
	fn.Tags = next
	return s.tagsChangedLocked(q, fn)
}

func (s *Server) untagResource(q request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn, err := s.tagTargetLocked(q)
	if err != nil {
		return err
	}
	for _, k := range q.r.URL.Query()["tagKeys"] {
		delete(fn.Tags, k)
	}
	return s.tagsChangedLocked(q, fn)
}

func (s *Server) tagsChangedLocked(q request, fn *function) error {
	fn.Latest.RevisionID = awsjson.NewUUID()
	if err := s.saveLocked(); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}
