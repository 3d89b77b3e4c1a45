package builder

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/manifest"
)

func TestGoBuildArgs(t *testing.T) {
	tests := []struct {
		name   string
		fn     manifest.Function
		outDir string
		jobs   int
		pkgs   []string
		want   []string
	}{
		{
			name:   "defaults arm64",
			fn:     manifest.Function{Architecture: "arm64"},
			outDir: "/r/.lamb/build/x/0",
			jobs:   2,
			pkgs:   []string{"./functions/a", "./functions/b"},
			want: []string{"build", "-json", "-trimpath", "-buildvcs=false", "-p", "2",
				"-ldflags=-s -w", "-tags=lambda.norpc", "-o", "/r/.lamb/build/x/0/",
				"./functions/a", "./functions/b"},
		},
		{
			name: "manifest settings",
			fn: manifest.Function{Architecture: "x86_64", Build: manifest.Build{
				Tags: []string{"prod", "lambda.norpc", "fast", "prod"}, LDFlags: "-X main.version=1",
				GCFlags: "all=-l", Env: map[string]string{"GOEXPERIMENT": "x"},
			}},
			outDir: "/o/",
			pkgs:   []string{"."},
			want: []string{"build", "-json", "-trimpath", "-buildvcs=false",
				"-ldflags=-s -w -X main.version=1", "-gcflags=all=-l", "-tags=lambda.norpc,fast,prod",
				"-o", "/o/", "."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := GoBuildArgs(SettingsOf(tt.fn), tt.outDir, tt.jobs, tt.pkgs)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("GoBuildArgs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGoEnv(t *testing.T) {
	s := SettingsOf(manifest.Function{Architecture: "x86_64", Build: manifest.Build{Env: map[string]string{"GOAMD64": "v3", "B": "2"}}})
	got := GoEnv([]string{"HOME=/h", "GOARCH=riscv64"}, s)
	want := []string{"HOME=/h", "GOARCH=riscv64", "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "B=2", "GOAMD64=v3"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GoEnv (-want +got):\n%s", diff)
	}
}

func TestSettingsKey(t *testing.T) {
	a := SettingsOf(manifest.Function{Build: manifest.Build{Tags: []string{"b", "a"}, Env: map[string]string{"X": "1", "Y": "2"}}})
	b := SettingsOf(manifest.Function{Build: manifest.Build{Tags: []string{"a", "b", "a"}, Env: map[string]string{"Y": "2", "X": "1"}}})
	if a.key() != b.key() {
		t.Errorf("equal settings, different keys:\n%s\n%s", a.key(), b.key())
	}
	for _, c := range []manifest.Function{
		{Architecture: "x86_64"},
		{Build: manifest.Build{LDFlags: "-X a=b"}},
		{Build: manifest.Build{GCFlags: "-N"}},
		{Build: manifest.Build{Tags: []string{"a"}}},
		{Build: manifest.Build{Env: map[string]string{"X": "1"}}},
	} {
		if k := SettingsOf(c).key(); k == SettingsOf(manifest.Function{}).key() {
			t.Errorf("%+v: same key as the defaults", c)
		}
	}
}

func TestExecName(t *testing.T) {
	tests := map[string]string{
		"example.com/shop/functions/orders/get": "get",
		"example.com/shop":                      "shop",
		"example.com/shop/v2":                   "shop",
		"example.com/shop/cmd/v2":               "cmd",
		"example.com/shop/v1":                   "v1",
		"example.com/shop/v0":                   "v0",
		"example.com/shop/v2x":                  "v2x",
		"v2":                                    "v2",
	}
	for in, want := range tests {
		if got := execName(in); got != want {
			t.Errorf("execName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPlanInvocations(t *testing.T) {
	arm := SettingsOf(manifest.Function{Architecture: "arm64"})
	amd := SettingsOf(manifest.Function{Architecture: "x86_64"})
	mk := func(imp string, s Settings) *job {
		return &job{imp: imp, pkg: "./" + strings.TrimPrefix(imp, "m/"), settings: s, modDir: "/r"}
	}
	jobs := []*job{
		mk("m/functions/users/get", arm),
		mk("m/functions/mailer", arm),
		mk("m/functions/orders/get", arm),
		mk("m/functions/pricing", amd),
		mk("m/functions/admin/get", arm),
		mk("m/functions/mailer", arm), // a second function of the same package
	}
	invs := planInvocations("/r/.lamb/build", "/r", jobs)
	type inv struct {
		Slot string
		Pkgs []string
		Bins []string
	}
	var got []inv
	for _, in := range invs {
		var x inv
		x.Slot = in.outDir[len(in.outDir)-1:]
		for _, j := range in.jobs {
			x.Pkgs = append(x.Pkgs, j.pkg)
			x.Bins = append(x.Bins, strings.TrimPrefix(j.binary, in.outDir+"/"))
		}
		got = append(got, x)
	}
	// The arm64 and amd64 groups come in the order of their settings keys.
	armFirst := arm.key() < amd.key()
	armInvs := []inv{
		{"0", []string{"./functions/admin/get", "./functions/mailer", "./functions/mailer"}, []string{"get", "mailer", "mailer"}},
		{"1", []string{"./functions/orders/get"}, []string{"get"}},
		{"2", []string{"./functions/users/get"}, []string{"get"}},
	}
	amdInvs := []inv{{"0", []string{"./functions/pricing"}, []string{"pricing"}}}
	want := append(append([]inv(nil), amdInvs...), armInvs...)
	if armFirst {
		want = append(append([]inv(nil), armInvs...), amdInvs...)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("invocations (-want +got):\n%s", diff)
	}
	if invs[0].outDir[:len(invs[0].outDir)-2] == invs[len(invs)-1].outDir[:len(invs[len(invs)-1].outDir)-2] {
		t.Error("arm64 and amd64 groups share an output directory")
	}
}
