package emulator

import (
	"net/http"
	"strconv"
	"time"

	"github.com/lambctl/lamb/emulator/awsjson"
)

// publishLocked publishes $LATEST as the next version.
func (s *Server) publishLocked(fn *function, description string) *config {
	v := fn.Latest.clone()
	v.Version = strconv.Itoa(fn.NextVersion)
	fn.NextVersion++
	v.Description = description
	if description == "" {
		v.Description = fn.Latest.Description
	}
	v.RevisionID = awsjson.NewUUID()
	v.LastModified = lastModified(time.Now())
	v.State, v.StateReason, v.StateReasonCode = "Active", "", ""
	v.LastUpdateStatus, v.LastUpdateStatusReason, v.LastUpdateStatusReasonCode = "Successful", "", ""
	fn.Versions = append(fn.Versions, v)
	return v
}

type publishInput struct {
	CodeSha256  string
	Description string
	RevisionId  string
}

func (s *Server) publishVersion(q request) error {
	var in publishInput
	if err := readBody(q, 1<<20, &in); err != nil {
		return err
	}
	if err := validateDescription(in.Description); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fn, err := s.updatableLocked(q, in.RevisionId)
	if err != nil {
		return err
	}
	c := fn.Latest
	if in.CodeSha256 != "" && in.CodeSha256 != c.CodeSha256 {
		return invalidParam("CodeSHA256 (%s) is different from current CodeSHA256 in $LATEST (%s). Please try again with the CodeSHA256 in $LATEST.", in.CodeSha256, c.CodeSha256)
	}
	if n := len(fn.Versions); n > 0 && c.sameContent(fn.Versions[n-1]) {
		writeJSON(q.w, http.StatusCreated, s.wire(fn, fn.Versions[n-1], ""))
		return nil
	}
	if s.codeStorageLocked()+c.CodeSize > s.opts.CodeStorageLimit {
		return errf(http.StatusBadRequest, "CodeStorageExceededException", "Code storage limit exceeded.")
	}
	v := s.publishLocked(fn, in.Description)
	if err := s.saveLocked(); err != nil {
		return err
	}
	writeJSON(q.w, http.StatusCreated, s.wire(fn, v, ""))
	return nil
}

func (s *Server) listVersions(q request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn, qual, err := s.targetLocked(q)
	if err != nil {
		return err
	}
	if qual != "" {
		return invalidParam("Unqualified function name expected")
	}
	items := []wireConfig{listed(s.wire(fn, fn.Latest, "$LATEST"))}
	for _, v := range fn.Versions {
		items = append(items, listed(s.wire(fn, v, "")))
	}
	return writePage(q, "Versions", items)
}
