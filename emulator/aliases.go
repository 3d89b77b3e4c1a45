package emulator

import (
	"fmt"
	"maps"
	"net/http"
	"slices"

	"github.com/lambctl/lamb/emulator/awsjson"
)

func (s *Server) wireAlias(fn *function, a *alias) wireAlias {
	w := wireAlias{AliasArn: s.qarn(fn.Name, a.Name), Name: a.Name, FunctionVersion: a.FunctionVersion,
		Description: a.Description, RevisionID: a.RevisionID}
	if len(a.Weights) > 0 {
		w.RoutingConfig = &wireRouting{AdditionalVersionWeights: maps.Clone(a.Weights)}
	}
	return w
}

// checkAliasTargetLocked validates an alias's primary version and routing.
func (s *Server) checkAliasTargetLocked(fn *function, primary string, weights map[string]float64) error {
	if primary != "$LATEST" && fn.version(primary) == nil {
		return notFound(s.qarn(fn.Name, primary))
	}
	if len(weights) == 0 {
		return nil
	}
	if len(weights) > 1 {
		return validationErr(fmt.Sprint(weights), "routingConfig.additionalVersionWeights", "Member must have length less than or equal to 1")
	}
	if primary == "$LATEST" {
		return invalidParam("$LATEST is not supported for an alias pointing to more than 1 version")
	}
	for v, w := range weights {
		if w < 0 || w > 1 {
			return validationErr(fmt.Sprint(w), "routingConfig.additionalVersionWeights", "Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0]")
		}
		if v == primary {
			return invalidParam("Invalid function version %s. Function version %s is already included in routing configuration.", v, v)
		}
		if v == "$LATEST" || fn.version(v) == nil {
			return invalidParam("Function version %s does not exist or is $LATEST; routing needs a published version.", v)
		}
	}
	return nil
}

type aliasInput struct {
	Name            string
	FunctionVersion *string
	Description     *string
	RoutingConfig   *wireRouting
	RevisionId      string
}

func (s *Server) createAlias(q request) error {
	var in aliasInput
	if err := readBody(q, 1<<20, &in); err != nil {
		return err
	}
	if err := validateAliasName(in.Name); err != nil {
		return err
	}
	if in.FunctionVersion == nil || *in.FunctionVersion == "" {
		return validationErr("null", "functionVersion", "Member must not be null")
	}
	a := &alias{Name: in.Name, FunctionVersion: *in.FunctionVersion, RevisionID: awsjson.NewUUID()}
	if in.Description != nil {
		if err := validateDescription(*in.Description); err != nil {
			return err
		}
		a.Description = *in.Description
	}
	if in.RoutingConfig != nil && len(in.RoutingConfig.AdditionalVersionWeights) > 0 {
		a.Weights = maps.Clone(in.RoutingConfig.AdditionalVersionWeights)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fn, qual, err := s.targetLocked(q)
	if err != nil {
		return err
	}
	if qual != "" {
		return invalidParam("Unqualified function name expected")
	}
	if fn.Aliases[a.Name] != nil {
		return errf(http.StatusConflict, "ResourceConflictException", "Alias already exists: %s", s.qarn(fn.Name, a.Name))
	}
	if err := s.checkAliasTargetLocked(fn, a.FunctionVersion, a.Weights); err != nil {
		return err
	}
	if fn.Aliases == nil {
		fn.Aliases = map[string]*alias{}
	}
	fn.Aliases[a.Name] = a
	s.retireLocked(fn.Name, fn)
	if err := s.saveLocked(); err != nil {
		return err
	}
	writeJSON(q.w, http.StatusCreated, s.wireAlias(fn, a))
	return nil
}

func (s *Server) listAliases(q request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn, _, err := s.targetLocked(q)
	if err != nil {
		return err
	}
	filter := q.r.URL.Query().Get("FunctionVersion")
	items := []wireAlias{}
	for _, n := range slices.Sorted(maps.Keys(fn.Aliases)) {
		if a := fn.Aliases[n]; filter == "" || a.FunctionVersion == filter {
			items = append(items, s.wireAlias(fn, a))
		}
	}
	return writePage(q, "Aliases", items)
}

// aliasLocked finds the alias a request addresses.
func (s *Server) aliasLocked(q request) (*function, *alias, error) {
	fn, _, err := s.targetLocked(q)
	if err != nil {
		return nil, nil, err
	}
	a := fn.Aliases[q.alias]
	if a == nil {
		return nil, nil, errf(http.StatusNotFound, "ResourceNotFoundException", "Cannot find alias arn: %s", s.qarn(fn.Name, q.alias))
	}
	return fn, a, nil
}

func (s *Server) getAlias(q request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn, a, err := s.aliasLocked(q)
	if err != nil {
		return err
	}
	writeJSON(q.w, http.StatusOK, s.wireAlias(fn, a))
	return nil
}

func (s *Server) deleteAlias(q request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn, a, err := s.aliasLocked(q)
	if err != nil {
		return err
	}
	delete(fn.Aliases, a.Name)
	s.retireLocked(fn.Name, fn)
	if err := s.saveLocked(); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) updateAlias(q request) error {
	var in aliasInput
	if err := readBody(q, 1<<20, &in); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fn, a, err := s.aliasLocked(q)
	if err != nil {
		return err
	}
	if in.RevisionId != "" && in.RevisionId != a.RevisionID {
		return preconditionFailed()
	}
	next := *a
	if in.FunctionVersion != nil {
		next.FunctionVersion = *in.FunctionVersion
	}
	if in.Description != nil {
		if err := validateDescription(*in.Description); err != nil {
			return err
		}
		next.Description = *in.Description
	}
	if in.RoutingConfig != nil {
		next.Weights = nil
		if len(in.RoutingConfig.AdditionalVersionWeights) > 0 {
			next.Weights = maps.Clone(in.RoutingConfig.AdditionalVersionWeights)
		}
	}
	if err := s.checkAliasTargetLocked(fn, next.FunctionVersion, next.Weights); err != nil {
		return err
	}
	next.RevisionID = awsjson.NewUUID()
	fn.Aliases[a.Name] = &next
	s.retireLocked(fn.Name, fn)
	if err := s.saveLocked(); err != nil {
		return err
	}
	writeJSON(q.w, http.StatusOK, s.wireAlias(fn, &next))
	return nil
}
