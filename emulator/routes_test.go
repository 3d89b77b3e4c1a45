package emulator_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/emulator"
	"github.com/lambctl/lamb/emulator/emulatortest"
)

// TestRoute: each method and path reaches its operation, with the
// function named by the decoded path parameter (the call log shows both);
// anything else is AWS's UnknownOperationException and is not logged.
func TestRoute(t *testing.T) {
	t.Parallel()
	k := emulatortest.New(t)
	tests := []struct {
		method, path string
		want         *emulator.Call // nil: unknown operation
	}{
		{"POST", "/2015-03-31/functions", &emulator.Call{Op: "CreateFunction", Status: 400, Mutating: true}},
		{"GET", "/2015-03-31/functions/", &emulator.Call{Op: "ListFunctions", Status: 200}},
		{"GET", "/2015-03-31/functions", &emulator.Call{Op: "ListFunctions", Status: 200}},
		{"GET", "/2015-03-31/functions/fn", &emulator.Call{Op: "GetFunction", Function: "fn", Status: 404}},
		{"DELETE", "/2015-03-31/functions/fn", &emulator.Call{Op: "DeleteFunction", Function: "fn", Status: 404, Mutating: true}},
		{"GET", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Afn/configuration", &emulator.Call{Op: "GetFunctionConfiguration", Function: "fn", Status: 404}},
		{"PUT", "/2015-03-31/functions/fn/configuration", &emulator.Call{Op: "UpdateFunctionConfiguration", Function: "fn", Status: 404, Mutating: true}},
		{"PUT", "/2015-03-31/functions/fn/code", &emulator.Call{Op: "UpdateFunctionCode", Function: "fn", Status: 404, Mutating: true}},
		{"POST", "/2015-03-31/functions/fn/versions", &emulator.Call{Op: "PublishVersion", Function: "fn", Status: 404, Mutating: true}},
		{"GET", "/2015-03-31/functions/fn/versions", &emulator.Call{Op: "ListVersionsByFunction", Function: "fn", Status: 404}},
		{"POST", "/2015-03-31/functions/fn/aliases", &emulator.Call{Op: "CreateAlias", Function: "fn", Status: 400, Mutating: true}},
		{"GET", "/2015-03-31/functions/fn/aliases", &emulator.Call{Op: "ListAliases", Function: "fn", Status: 404}},
		{"GET", "/2015-03-31/functions/fn/aliases/live", &emulator.Call{Op: "GetAlias", Function: "fn", Status: 404}},
		{"PUT", "/2015-03-31/functions/fn/aliases/live", &emulator.Call{Op: "UpdateAlias", Function: "fn", Status: 404, Mutating: true}},
		{"DELETE", "/2015-03-31/functions/fn/aliases/live", &emulator.Call{Op: "DeleteAlias", Function: "fn", Status: 404, Mutating: true}},
		{"POST", "/2015-03-31/functions/fn%3Alive/invocations", &emulator.Call{Op: "Invoke", Function: "fn", Status: 404}},
		{"POST", "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Afn", &emulator.Call{Op: "TagResource", Function: "fn", Status: 404, Mutating: true}},
		{"GET", "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Afn", &emulator.Call{Op: "ListTags", Function: "fn", Status: 404}},
		{"DELETE", "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Afn?tagKeys=a", &emulator.Call{Op: "UntagResource", Function: "fn", Status: 404, Mutating: true}},
		{"PATCH", "/2015-03-31/functions/fn", nil},
		{"GET", "/2015-03-31/functions/fn/policy", nil},
		{"POST", "/2015-03-31/functions/fn/url", nil},
		{"GET", "/2020-01-01/whatever", nil},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			k.Server.ResetCalls()
			body := ""
			if tt.method == "POST" || tt.method == "PUT" {
				body = "{}"
			}
			status, resp := rawCall(t, k, tt.method, tt.path, "", map[string]string{"Content-Type": "application/json"}, body)
			calls := k.Server.Calls()
			if tt.want == nil {
				if status != http.StatusNotFound || len(calls) != 0 {
					t.Errorf("status %d (%s), calls %v; want 404 UnknownOperationException, none logged", status, resp, calls)
				}
				return
			}
			if len(calls) != 1 {
				t.Fatalf("calls %v, want one", calls)
			}
			got := calls[0]
			got.ErrorType = ""
			if diff := cmp.Diff(*tt.want, got); diff != "" {
				t.Errorf("call (-want +got):\n%s\n%s", diff, resp)
			}
		})
	}
}
