package emulator_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-cmp/cmp"
	"github.com/lambctl/lamb/emulator/emulatortest"
)

// TestListPaging checks the wire shape of the three List calls: the page
// under its key ([] when empty, never null), NextMarker while more remain,
// and the errors of a bad MaxItems or Marker.
func TestListPaging(t *testing.T) {
	t.Parallel()
	k := emulatortest.New(t)
	ctx := context.Background()

	// page is what one GET answered: status, top-level keys, the raw list
	// when it is empty or null, its length, and NextMarker.
	type page struct {
		Status int
		Keys   []string
		Empty  string
		Len    int
		Next   string
	}
	get := func(t *testing.T, path, key string) page {
		t.Helper()
		res, err := http.Get(k.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		p := page{Status: res.StatusCode}
		if res.StatusCode != http.StatusOK {
			return p
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v: %s", path, err, b)
		}
		for _, k := range []string{key, "NextMarker"} {
			if _, ok := m[k]; ok {
				p.Keys = append(p.Keys, k)
			}
		}
		if len(m) != len(p.Keys) {
			t.Errorf("%s: unexpected keys in %s", path, b)
		}
		var items []json.RawMessage
		if err := json.Unmarshal(m[key], &items); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		p.Len = len(items)
		if s := string(m[key]); s == "[]" || s == "null" {
			p.Empty = s
		}
		if n, ok := m["NextMarker"]; ok {
			if err := json.Unmarshal(n, &p.Next); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}

	if diff := cmp.Diff(page{Status: 200, Keys: []string{"Functions"}, Empty: "[]"}, get(t, "/2015-03-31/functions/", "Functions")); diff != "" {
		t.Errorf("empty ListFunctions (-want +got):\n%s", diff)
	}

	zip := bootstrapZip(t, "x")
	create(t, k, "a", zip)
	create(t, k, "b", zip)
	for i := range 2 {
		// Change the configuration so that each publish makes a new version.
		if _, err := k.Lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("a"), Timeout: aws.Int32(int32(10 + i))}); err != nil {
			t.Fatal(err)
		}
		if err := k.WaitUpdated(t, "a"); err != nil {
			t.Fatal(err)
		}
		if _, err := k.Lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("a")}); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"live", "next"} {
		if _, err := k.Lambda.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("a"), Name: aws.String(n), FunctionVersion: aws.String("1")}); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		path, key string
		want      page
	}{
		{"/2015-03-31/functions/", "Functions", page{Status: 200, Keys: []string{"Functions"}, Len: 2}},
		{"/2015-03-31/functions/?FunctionVersion=ALL", "Functions", page{Status: 200, Keys: []string{"Functions"}, Len: 4}},
		{"/2015-03-31/functions/?MaxItems=1", "Functions", page{Status: 200, Keys: []string{"Functions", "NextMarker"}, Len: 1, Next: "1"}},
		{"/2015-03-31/functions/?Marker=2", "Functions", page{Status: 200, Keys: []string{"Functions"}, Empty: "[]"}},
		{"/2015-03-31/functions/?Marker=3", "Functions", page{Status: 400}},
		{"/2015-03-31/functions/?MaxItems=0", "Functions", page{Status: 400}},
		{"/2015-03-31/functions/a/versions", "Versions", page{Status: 200, Keys: []string{"Versions"}, Len: 3}},
		{"/2015-03-31/functions/a/versions?MaxItems=2", "Versions", page{Status: 200, Keys: []string{"Versions", "NextMarker"}, Len: 2, Next: "2"}},
		{"/2015-03-31/functions/a/versions?Marker=2", "Versions", page{Status: 200, Keys: []string{"Versions"}, Len: 1}},
		{"/2015-03-31/functions/a/versions?Marker=3", "Versions", page{Status: 200, Keys: []string{"Versions"}, Empty: "[]"}},
		{"/2015-03-31/functions/a/versions?Marker=x", "Versions", page{Status: 400}},
		{"/2015-03-31/functions/a/aliases", "Aliases", page{Status: 200, Keys: []string{"Aliases"}, Len: 2}},
		{"/2015-03-31/functions/a/aliases?MaxItems=1&Marker=1", "Aliases", page{Status: 200, Keys: []string{"Aliases"}, Len: 1}},
		{"/2015-03-31/functions/a/aliases?MaxItems=1", "Aliases", page{Status: 200, Keys: []string{"Aliases", "NextMarker"}, Len: 1, Next: "1"}},
		{"/2015-03-31/functions/b/aliases", "Aliases", page{Status: 200, Keys: []string{"Aliases"}, Empty: "[]"}},
		{"/2015-03-31/functions/a/aliases?MaxItems=10001", "Aliases", page{Status: 400}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, get(t, tt.path, tt.key)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
