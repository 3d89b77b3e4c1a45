package emulator

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"slices"
	"testing"
)

type codeInput struct {
	ZipFile         []byte
	S3Bucket        string
	S3Key           string
	S3ObjectVersion string
	ImageUri        string

	// zipSha256 is ZipFile's base64 SHA-256 as an in-process caller
	// computed it (InProcessCode.Sha256); "" to compute here.
	zipSha256 string
}

// loadCode validates and fetches the code of a create or update, outside
// the lock. It returns the zip and its CodeSha256.
func (s *Server) loadCode(ctx context.Context, op string, in codeInput) ([]byte, string, error) {
	var zip []byte
	switch {
	case in.ImageUri != "":
		return nil, "", invalidParam("Container images are not supported by lamb's emulator; use a .zip file archive.")
	case len(in.ZipFile) > 0 && (in.S3Bucket != "" || in.S3Key != ""):
		return nil, "", invalidParam("Please do not provide other FunctionCode parameters when providing a ZipFile.")
	case len(in.ZipFile) > 0:
		if len(in.ZipFile) > maxZipFile {
			return nil, "", tooLarge(maxZipFile, op)
		}
		zip = in.ZipFile
	case in.S3Bucket != "" && in.S3Key != "":
		b, err := s.fetchS3(ctx, in.S3Bucket, in.S3Key, in.S3ObjectVersion)
		if err != nil {
			return nil, "", err
		}
		zip = b
	case in.S3Bucket != "" || in.S3Key != "":
		return nil, "", invalidParam("Please provide a source for function code.")
	default:
		return nil, "", invalidParam("Please provide a source for function code.")
	}
	hasBootstrap, err := inspectZip(zip)
	if err != nil {
		return nil, "", err
	}
	if !hasBootstrap {
		// AWS accepts it; invoking fails with Runtime.InvalidEntrypoint.
		s.log.Warn("deployment package has no bootstrap at its root", "op", op)
	}
	sha, shaErr := packageSha256(zip, in.zipSha256, testing.Testing())
	if shaErr != nil {
		return nil, "", shaErr
	}
	h := hexOf(sha)
	s.mu.Lock()
	s.inflight[h]++
	s.mu.Unlock()
	if err := s.storeCode(h, zip); err != nil {
		s.releaseCode(h)
		return nil, "", serviceErr("store code: %v", err)
	}
	return zip, sha, nil
}

// packageSha256 returns the CodeSha256 of zip: known, when an in-process
// caller computed it from these bytes (checked when verify is set: in test
// binaries), else hashed here. Taking it makes the deployer's check that
// the live code is what it sent compare the builder's sum with itself:
// hashing a package once is the point, and the builder takes the sum of
// the very bytes it hands over (builder.Artifact.Zip).
func packageSha256(zip []byte, known string, verify bool) (string, *apiError) {
	if known != "" && !verify {
		if b, err := base64.StdEncoding.DecodeString(known); err == nil && len(b) == sha256.Size {
			return known, nil
		}
		return "", serviceErr("in-process CodeSha256 %q is not a base64 SHA-256", known)
	}
	sum := sha256.Sum256(zip)
	sha := base64.StdEncoding.EncodeToString(sum[:])
	if known != "" && known != sha {
		return "", serviceErr("in-process CodeSha256 %s is not the package's, %s", known, sha)
	}
	return sha, nil
}

// releaseCode ends a request's hold on code it stored: unless a version
// uses it by now, the zip is removed.
func (s *Server) releaseCode(h string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight[h]--; s.inflight[h] <= 0 {
		delete(s.inflight, h)
	}
	s.gcCodeLocked()
}

type updateCodeInput struct {
	codeInput
	Publish       bool
	DryRun        bool
	RevisionId    string
	Architectures []string
}

func (s *Server) updateCode(q request) error {
	var in updateCodeInput
	if err := readCodeBody(q, maxCreateBody, &in, func(zip []byte) { in.ZipFile = zip }); err != nil {
		return err
	}
	if code, ok := codeInProcess(q.r); ok { // UpdateFunctionCodeInProcess
		if len(in.ZipFile) > 0 || in.S3Bucket != "" || in.S3Key != "" {
			return invalidParam("Please do not provide other FunctionCode parameters when providing a ZipFile.")
		}
		in.ZipFile, in.zipSha256 = code.Zip, code.Sha256 // loadCode checks it as any ZipFile
	}
	if in.Architectures != nil {
		if err := validateArchitectures(in.Architectures); err != nil {
			return err
		}
	}
	// Existence and state are checked before the code is fetched, then
	// again under the lock once it is.
	s.mu.Lock()
	_, err := s.updatableLocked(q, in.RevisionId)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	zip, sha, err := s.loadCode(q.r.Context(), q.op, in.codeInput)
	if err != nil {
		return err
	}
	defer s.releaseCode(hexOf(sha))
	s.mu.Lock()
	defer s.mu.Unlock()
	fn, err := s.updatableLocked(q, in.RevisionId)
	if err != nil {
		return err
	}
	c := fn.Latest
	if s.codeStorageLocked()-c.CodeSize+int64(len(zip)) > s.opts.CodeStorageLimit {
		return errf(http.StatusBadRequest, "CodeStorageExceededException", "Code storage limit exceeded.")
	}
	if in.DryRun {
		d := c.clone()
		d.CodeSha256, d.CodeSize = sha, int64(len(zip))
		s.gcCodeLocked()
		writeJSON(q.w, http.StatusOK, s.wire(fn, d, ""))
		return nil
	}
	c.CodeSha256, c.CodeSize = sha, int64(len(zip))
	if in.Architectures != nil {
		c.Architectures = slices.Clone(in.Architectures)
	}
	return s.finishUpdateLocked(q, fn, in.Publish)
}
