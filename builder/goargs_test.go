package builder

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lambctl/lamb/internal/buildcfg"
	"github.com/lambctl/lamb/manifest"
)

func TestListDepsArgs(t *testing.T) {
	cfg, err := buildcfg.New("arm64", []string{"prod"}, "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	got := listDepsArgs(cfg, []string{"./functions/a", "./functions/b"})
	want := []string{"list", "-e", "-tags=lambda.norpc,prod", "-f", "{{.ImportPath}}{{range .Deps}} {{.}}{{end}}", "./functions/a", "./functions/b"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listDepsArgs (-want +got):\n%s", diff)
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
	arm, _ := manifest.Function{Architecture: "arm64"}.BuildConfig()
	amd, _ := manifest.Function{Architecture: "x86_64"}.BuildConfig()
	mk := func(imp string, c buildcfg.Config) *job {
		return &job{imp: imp, pkg: "./" + strings.TrimPrefix(imp, "m/"), cfg: c, modDir: "/r"}
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
	armFirst := arm.Key() < amd.Key()
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
