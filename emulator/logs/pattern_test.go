package logs

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPattern(t *testing.T) {
	t.Parallel()
	msgs := []string{
		"START RequestId: 1 Version: $LATEST",
		"ERROR Exception: boom",
		"[ERROR] Internal Server Error",
		"WARN slow call",
		"INFO done, Exiting",
		`said "hi" \ back`,
	}
	tests := []struct {
		pattern string
		want    []int // indexes of msgs that match
	}{
		{"", []int{0, 1, 2, 3, 4, 5}},
		{"   ", []int{0, 1, 2, 3, 4, 5}},
		{"ERROR", []int{1, 2}},
		{"error", nil},
		{"ERROR Exception", []int{1}},
		{`"Internal Server Error"`, []int{2}},
		{`"Server Error" ERROR`, []int{2}},
		{"?ERROR ?WARN", []int{1, 2, 3}},
		{`?"slow call" ?boom`, []int{1, 3}},
		{"-ERROR", []int{0, 3, 4, 5}},
		{"INFO -Exiting", nil},
		{"ERROR -Exception", []int{2}},
		{`"RequestId: 1"`, []int{0}},
		{`"said \"hi\" \\ back"`, []int{5}},
		{"Version", []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			t.Parallel()
			p, err := ParsePattern(tt.pattern)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for i, m := range msgs {
				if p.Match(m) {
					got = append(got, i)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("matched messages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPatternRefused(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		`{ $.level = "ERROR" }`:  "JSON filter patterns",
		`[ip, user, ...]`:        "space-delimited",
		`%ERR.R%`:                "regular-expression",
		`RequestId:`:             "quote it",
		`latency>100`:            "quote it",
		`ERR*`:                   "quote it",
		`?ERROR WARN`:            "mixing ?terms",
		`?ERROR -WARN`:           "mixing ?terms",
		`"unterminated`:          "unterminated",
		`""`:                     "empty quoted phrase",
		`?`:                      "must be followed by a term",
		`"a"b`:                   "followed by a space",
		`ERROR - Exiting`:        "must be followed by a term",
		`"ok" { $.level = "x" }`: "quote it",
	}
	for pattern, want := range tests {
		t.Run(pattern, func(t *testing.T) {
			t.Parallel()
			_, err := ParsePattern(pattern)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("ParsePattern(%q) = %v, want an error with %q", pattern, err, want)
			}
		})
	}
}

func FuzzParsePattern(f *testing.F) {
	for _, s := range []string{"", "ERROR", `"a b" ?c`, "?a ?b", "a -b", `"\"x\\"`, "{", "%x%", "-", `"`} {
		f.Add(s, "some ERROR message")
	}
	f.Fuzz(func(t *testing.T, pattern, msg string) {
		p, err := ParsePattern(pattern)
		if err != nil {
			return
		}
		p.Match(msg)
		// Every plain term of a pattern that parses is matched by a message
		// made of those terms.
		if len(p.any) == 0 && len(p.none) == 0 && !p.Match(strings.Join(p.all, " ")) {
			t.Errorf("%q does not match its own terms", pattern)
		}
	})
}
