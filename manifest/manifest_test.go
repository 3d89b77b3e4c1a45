package manifest

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// baseRepo is a small monorepo every case starts from.
var baseRepo = map[string]string{
	"go.mod":                            "module example.com/shop\n\ngo 1.26\n",
	"functions/orders/create/main.go":   "package main\n\nfunc main() {}\n",
	"functions/orders/get/main.go":      "package main\n\nfunc main() {}\n",
	"functions/users/get/main.go":       "package main\n\nfunc main() {}\n",
	"functions/users/get/get_test.go":   "package main_test\n",
	"functions/mailer/main.go":          "//go:build linux\n\npackage main\n\nfunc main() {}\n",
	"functions/mailer/other_windows.go": "package windows\n",
	"functions/testdata/fake/main.go":   "package main\n",
	"functions/vendor/v/main.go":        "package main\n",
	"functions/_skip/main.go":           "package main\n",
	"functions/.hidden/main.go":         "package main\n",
	"functions/nested/go.mod":           "module example.com/nested\n",
	"functions/nested/cmd/main.go":      "package main\n",
	"functions/empty/README.md":         "nothing\n",
	"internal/db/db.go":                 "package db\n",
	"config/rates.json":                 "{}\n",
}

// writeRepo writes baseRepo plus files (a "" value deletes) into a temp dir.
func writeRepo(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	all := map[string]string{}
	for k, v := range baseRepo {
		all[k] = v
	}
	for k, v := range files {
		if v == "" {
			delete(all, k)
			continue
		}
		all[k] = v
	}
	for name, data := range all {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// tagList returns n tags "prefix00: x, prefix01: x, ..." for a flow mapping.
func tagList(prefix string, n int) string {
	var tags []string
	for i := range n {
		tags = append(tags, fmt.Sprintf("%s%02d: x", prefix, i))
	}
	return strings.Join(tags, ", ")
}

// makeSpecial creates at p what spec says: "@symlink TARGET", "@fifo",
// "@socket" or "@device" (a character device like /dev/null; skips the
// test where mknod is not allowed).
func makeSpecial(t testing.TB, p, spec string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	var err error
	switch kind, arg, _ := strings.Cut(spec, " "); kind {
	case "@symlink":
		err = os.Symlink(arg, p)
	case "@fifo":
		err = syscall.Mkfifo(p, 0o644)
	case "@socket":
		var l *net.UnixListener
		l, err = net.ListenUnix("unix", &net.UnixAddr{Name: p, Net: "unix"})
		if err == nil {
			l.SetUnlinkOnClose(false)
			l.Close()
		}
	case "@device":
		if err := syscall.Mknod(p, syscall.S_IFCHR|0o644, 1<<8|3); err != nil {
			t.Skipf("mknod: %v", err)
		}
	default:
		t.Fatalf("unknown special file %q", spec)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// loadIn loads dir/lamb.yaml, naming the file lamb.yaml in positions.
func loadIn(t testing.TB, dir, stage string) (*Manifest, error) {
	t.Helper()
	t.Chdir(dir)
	return Load("lamb.yaml", LoadOptions{Stage: stage})
}

// loadWithin is loadIn that fails the test when Load has not returned by
// the deadline: a FIFO or device must never block it.
func loadWithin(t testing.TB, dir, stage string, d time.Duration) (*Manifest, error) {
	t.Helper()
	t.Chdir(dir)
	type result struct {
		m   *Manifest
		err error
	}
	done := make(chan result, 1)
	go func() {
		m, err := Load("lamb.yaml", LoadOptions{Stage: stage})
		done <- result{m, err}
	}()
	select {
	case r := <-done:
		return r.m, r.err
	case <-time.After(d):
		t.Fatalf("Load has not returned after %v: blocked on a file?", d)
		return nil, nil
	}
}

func errLines(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

// loadErrorCase is a manifest with problems and the errors Load reports.
type loadErrorCase struct {
	name  string
	yaml  string
	files map[string]string // more files; "@fifo", "@symlink T", ...: see makeSpecial
	stage string
	want  []string
}

// loadErrorCases are every class of bad input, with the exact errors;
// FuzzLoad seeds its corpus with them.
func loadErrorCases() []loadErrorCase {
	long := strings.Repeat("x", 60)
	bigEnv := "    environment:\n"
	for i := range 50 {
		bigEnv += "      K" + strings.Repeat("x", 10) + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ": " + strings.Repeat("v", 80) + "\n"
	}
	manyTags := "    tags:\n"
	for i := range 49 {
		manyTags += "      t" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ": x\n"
	}
	return []loadErrorCase{
		{
			name: "unknown field",
			yaml: "version: 1\nfunctions:\n  a:\n    package: ./functions/orders/create\n    memroy: 256\n",
			want: []string{`lamb.yaml:5:5: unknown field "memroy" (did you mean "memory"?)`},
		},
		{
			name: "unknown field without suggestion",
			yaml: "version: 1\nwhatever: 1\n",
			want: []string{`lamb.yaml:2:1: unknown field "whatever" in manifest (known: cache, defaults, discover, functions, project, stages, version)`},
		},
		{
			name: "missing version",
			yaml: "functions: {}\n",
			want: []string{`lamb.yaml:1:1: missing version: add "version: 1"`},
		},
		{
			name: "unsupported version",
			yaml: "version: 2\n",
			want: []string{`lamb.yaml:1:10: version: unsupported version 2 (this lamb reads version 1)`},
		},
		{
			name: "not a mapping",
			yaml: "- a\n- b\n",
			want: []string{`lamb.yaml:1:1: manifest: want a mapping starting with "version: 1", got a list`},
		},
		{
			name: "syntax error",
			yaml: "version: 1\nfunctions:\n  a: [\n",
			want: []string{`lamb.yaml:3:6: sequence end token ']' not found`},
		},
		{
			name: "duplicate key",
			yaml: "version: 1\nversion: 1\n",
			want: []string{`lamb.yaml:2:1: duplicate key "version" (first at lamb.yaml:1:1)`},
		},
		{
			name: "wrong type",
			yaml: "version: 1\ndefaults:\n  memory: lots\n  timeout: 1.5\n  role: 12\n",
			want: []string{
				`lamb.yaml:3:11: memory: want an integer, got string "lots"`,
				`lamb.yaml:4:12: timeout: want an integer, got number 1.5`,
				`lamb.yaml:5:9: role: want a string, got integer 12`,
			},
		},
		{
			name: "memory and timeout out of range",
			yaml: "version: 1\ndefaults:\n  memory: 64\n  timeout: 901\n",
			want: []string{
				`lamb.yaml:3:11: memory: 64 is out of range 128..10240 (MB)`,
				`lamb.yaml:4:12: timeout: 901 is out of range 1..900 (seconds)`,
			},
		},
		{
			name: "architecture",
			yaml: "version: 1\ndefaults:\n  architecture: amd64\nfunctions:\n  a:\n    package: ./functions/orders/create\n    architecture: sparc\n",
			want: []string{
				`lamb.yaml:3:17: architecture: "amd64" is not arm64 or x86_64 (did you mean "x86_64"?)`,
				`lamb.yaml:7:19: architecture: "sparc" is not arm64 or x86_64`,
			},
		},
		{
			name: "runtimes",
			yaml: "version: 1\ndefaults:\n  runtime: go1.x\nfunctions:\n  a:\n    package: ./functions/orders/create\n    runtime: provided\n  b:\n    package: ./functions/orders/get\n    runtime: python3.12\n",
			want: []string{
				`lamb.yaml:3:12: runtime: go1.x is deprecated: AWS retired the Go 1.x runtime; Go functions run as a bootstrap on provided.al2023`,
				`lamb.yaml:7:14: runtime: provided is deprecated: it runs on Amazon Linux 1, which reached end of life; use provided.al2023`,
				`lamb.yaml:10:14: runtime: "python3.12" is not supported: use provided.al2023 or provided.al2`,
			},
		},
		{
			name: "role",
			yaml: "version: 1\ndefaults:\n  role: arn:aws:iam::1234:role/x\n",
			want: []string{`lamb.yaml:3:9: role: "arn:aws:iam::1234:role/x" is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)`},
		},
		{
			name: "environment keys",
			yaml: "version: 1\ndefaults:\n  environment:\n    1BAD: x\n    AWS_REGION: eu-west-1\n    OK_1: x\n",
			want: []string{
				`lamb.yaml:4:5: environment: key "1BAD" must match [a-zA-Z][a-zA-Z0-9_]+`,
				`lamb.yaml:5:5: environment: key "AWS_REGION" is reserved by Lambda`,
			},
		},
		{
			name: "environment over 4 KB in one place",
			yaml: "version: 1\nfunctions:\n  a:\n    package: ./functions/orders/create\n" + bigEnv,
			want: []string{`lamb.yaml:6:7: environment: 4951 bytes as JSON, more than Lambda's 4 KB limit (4096)`},
		},
		{
			name: "environment over 4 KB merged",
			yaml: "version: 1\ndefaults:\n  environment: {A1: " + strings.Repeat("a", 2100) + "}\nfunctions:\n  a:\n    package: ./functions/orders/create\n    environment: {B1: " + strings.Repeat("b", 2100) + "}\n",
			want: []string{`lamb.yaml:5:3: function "a": environment is 4217 bytes as JSON, more than Lambda's 4 KB limit (4096)`},
		},
		{
			name: "tags",
			yaml: "version: 1\nfunctions:\n  a:\n    package: ./functions/orders/create\n" + manyTags,
			want: []string{`lamb.yaml:6:7: tags: 49 tags: lamb writes 3 of Lambda's 50, so at most 47 are left`},
		},
		{
			name: "tags over the limit merged",
			yaml: "version: 1\ndefaults:\n  tags: {" + strings.Repeat("a", 0) + tagList("d", 30) + "}\nfunctions:\n  a:\n    package: ./functions/orders/create\n    tags: {" + tagList("f", 10) + "}\nstages:\n  prod:\n    tags: {" + tagList("s", 8) + "}\n",
			want: []string{`lamb.yaml:5:3: function "a" (stage prod): 48 tags: lamb writes 3 of Lambda's 50, so at most 47 are left`},
		},
		{
			name: "what a later command refuses",
			yaml: "version: 1\ndefaults:\n  tags:\n    lamb:fingerprint: x\n    lambda: ok\n  environment: {DSN: \"a\\0b\", OK: fine}\nfunctions:\n  a:\n    package: ./functions/orders/create\n    files: [config/rates.json, ./config/rates.json, config/../config/rates.json]\nstages:\n  prod:\n    tags:\n      lamb:project: x\n    environment: {Z1: \"\\0\"}\n",
			want: []string{
				`lamb.yaml:4:5: tags: key "lamb:fingerprint": the lamb: prefix is reserved for lamb's own tags`,
				`lamb.yaml:6:17: environment: value of "DSN" contains NUL`,
				`lamb.yaml:10:32: files: "./config/rates.json" is listed twice (first at lamb.yaml:10:13)`,
				`lamb.yaml:10:53: files: "config/../config/rates.json" is listed twice (first at lamb.yaml:10:13)`,
				`lamb.yaml:14:7: tags: key "lamb:project": the lamb: prefix is reserved for lamb's own tags`,
				`lamb.yaml:15:19: environment: value of "Z1" contains NUL`,
			},
		},
		{
			name: "tag key and value length",
			yaml: "version: 1\ndefaults:\n  tags:\n    " + strings.Repeat("k", 129) + ": x\n    v: " + strings.Repeat("v", 257) + "\n    aws:x: y\n",
			want: []string{
				`lamb.yaml:4:5: tags: key "` + strings.Repeat("k", 129) + `" is 129 characters, more than 128`,
				`lamb.yaml:5:5: tags: value of "v" is 257 characters, more than 256`,
				`lamb.yaml:6:5: tags: key "aws:x": the aws: prefix is reserved`,
			},
		},
		{
			name: "alias",
			yaml: "version: 1\ndefaults:\n  alias: \"123\"\nstages:\n  prod: {alias: \"bad alias\"}\n",
			want: []string{
				`lamb.yaml:3:10: alias: "123" must be 1-128 characters of [a-zA-Z0-9-_], not all digits`,
				`lamb.yaml:5:17: alias: "bad alias" must be 1-128 characters of [a-zA-Z0-9-_], not all digits`,
			},
		},
		{
			name: "files",
			yaml: "version: 1\nfunctions:\n  a:\n    package: ./functions/orders/create\n    files:\n      - /etc/passwd\n      - ../secret\n      - config/missing.json\n      - config\n      - config/out\n      - config/rates.json\n",
			files: map[string]string{
				"config/out": "@symlink /etc/hostname",
			},
			want: []string{
				`lamb.yaml:6:9: files: "/etc/passwd" is absolute: use a path relative to lamb.yaml`,
				`lamb.yaml:7:9: files: "../secret" is outside the repo`,
				`lamb.yaml:8:9: files: "config/missing.json" does not exist`,
				`lamb.yaml:9:9: files: "config" is a directory: list the files`,
				`lamb.yaml:10:9: files: "config/out" resolves outside the repo (symlink to /etc/hostname)`,
			},
		},
		{
			name: "files that are not regular files",
			yaml: "version: 1\nfunctions:\n  a:\n    package: ./functions/orders/create\n    files: [config/fifo, config/socket, config/device, config/fifo-link]\n",
			files: map[string]string{
				"config/fifo":      "@fifo",
				"config/socket":    "@socket",
				"config/device":    "@device",
				"config/fifo-link": "@symlink fifo",
			},
			want: []string{
				`lamb.yaml:5:13: files: "config/fifo" is a FIFO: files: lists regular files only`,
				`lamb.yaml:5:26: files: "config/socket" is a socket: files: lists regular files only`,
				`lamb.yaml:5:41: files: "config/device" is a device: files: lists regular files only`,
				`lamb.yaml:5:56: files: "config/fifo-link" is a FIFO: files: lists regular files only`,
			},
		},
		{
			name: "a package with a Go file that is a FIFO",
			yaml: "version: 1\nfunctions:\n  a:\n    package: ./functions/orders/create\n",
			files: map[string]string{
				"functions/orders/create/zz.go": "@fifo",
			},
			want: []string{
				`lamb.yaml:4:14: package "./functions/orders/create": zz.go is a FIFO, not a regular file`,
			},
		},
		{
			name: "packages",
			yaml: "version: 1\nfunctions:\n  a:\n    package: ./internal/db\n  b:\n    package: ./functions/nope\n  c:\n    package: ./functions/empty\n  d:\n    memory: 256\n  e:\n    package: ./config/rates.json\n",
			want: []string{
				`lamb.yaml:4:14: package "./internal/db" is not a main package (package db)`,
				`lamb.yaml:6:14: package "./functions/nope" does not exist`,
				`lamb.yaml:8:14: package "./functions/empty" has no Go files`,
				`lamb.yaml:9:3: function "d": missing package (package: ./path/to/main/package)`,
				`lamb.yaml:12:14: package "./config/rates.json" is not a directory`,
			},
		},
		{
			name: "function names",
			yaml: "version: 1\nfunctions:\n  bad name:\n    package: ./functions/orders/create\n  " + long + ":\n    package: ./functions/orders/get\n" +
				"  " + long + "xxxxxx:\n    package: ./functions/users/get\nstages:\n  production: {prefix: production-}\n  p: {prefix: bad.}\n",
			want: []string{
				`lamb.yaml:3:3: function name "bad name" must be 1-64 characters of [a-zA-Z0-9-_]`,
				`lamb.yaml:5:3: function name "production-` + long + `" (stage production) is 71 characters, more than 64`,
				`lamb.yaml:7:3: function name "` + long + `xxxxxx" is 66 characters, more than 64`,
				`lamb.yaml:11:15: prefix: "bad." must be of [a-zA-Z0-9-_] (it starts function names)`,
			},
		},
		{
			name: "duplicate names from discover",
			yaml: "version: 1\nfunctions:\n  create:\n    package: ./functions/orders/get\ndiscover:\n  - packages: ./functions/...\n",
			want: []string{
				`lamb.yaml:6:5: duplicate function name "create" (package ./functions/orders/create; also package ./functions/orders/get at lamb.yaml:3:3)`,
			},
		},
		{
			name: "duplicate names between discovered packages",
			yaml: "version: 1\ndiscover:\n  - packages: ./functions/...\n    name: \"{{.Dir}}\"\n",
			want: []string{
				`lamb.yaml:4:11: duplicate function name "get" (package ./functions/users/get; also package ./functions/orders/get at lamb.yaml:4:11)`,
			},
		},
		{
			name:  "package symlinked outside the repo",
			yaml:  "version: 1\nfunctions:\n  a:\n    package: ./functions/out\n",
			files: map[string]string{"functions/out": "@symlink /tmp"},
			want:  []string{`lamb.yaml:4:14: package "./functions/out" resolves outside the repo (symlink to /tmp)`},
		},
		{
			name: "discover problems",
			yaml: "version: 1\ndiscover:\n  - packages: ./internal/...\n  - packages: ./functions/*\n  - packages: ./functions/...\n    name: \"{{.Nope}}\"\n  - packages: ./nowhere/...\n  - name: x\n",
			want: []string{
				`lamb.yaml:3:15: packages: "./internal/..." matched no main packages`,
				`lamb.yaml:4:15: packages: "./functions/*": want a directory or DIR/... pattern`,
				`lamb.yaml:6:11: name: template: name:1:2: executing "name" at <.Nope>: can't evaluate field Nope in type manifest.templateData`,
				`lamb.yaml:7:15: packages "./nowhere" does not exist`,
				`lamb.yaml:8:5: discover: missing packages (packages: ./functions/...)`,
			},
		},
		{
			name: "stage values",
			yaml: "version: 1\ncache: http://x\nstages:\n  prod:\n    region: mars-1\n    artifact_bucket: Bad_Bucket\n    role: nope\n    colour: blue\n  bad stage: {}\n",
			want: []string{
				`lamb.yaml:2:8: cache: "http://x" is not an s3://bucket/prefix URL`,
				`lamb.yaml:5:13: region: "mars-1" is not an AWS region (like us-east-1)`,
				`lamb.yaml:6:22: artifact_bucket: "Bad_Bucket" is not an S3 bucket name (3-63 of [a-z0-9.-])`,
				`lamb.yaml:7:11: role: "nope" is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)`,
				`lamb.yaml:8:5: unknown field "colour" in stage "prod" (known: account, alias, artifact_bucket, confirm, environment, manage, prefix, region, role, rollout, tags)`,
				`lamb.yaml:9:3: stage name "bad stage" must be of [a-zA-Z0-9-_]`,
			},
		},
		{
			name: "build settings",
			yaml: "version: 1\ndefaults:\n  build:\n    tags: [\"a b\"]\n    env: {GOOS: windows, 1X: y}\n    ldflag: -s\n",
			want: []string{
				`lamb.yaml:4:12: build.tags: "a b" is not a build tag`,
				`lamb.yaml:5:11: build.env: GOOS cannot be set: every function is built for linux`,
				`lamb.yaml:5:26: build.env: "1X" is not an environment variable name`,
				`lamb.yaml:6:5: unknown field "ldflag" (did you mean "ldflags"?)`,
			},
		},
		{
			name: "build env refused by buildcfg",
			yaml: "version: 1\ndefaults:\n  build:\n    env:\n      CGO_ENABLED: \"2\"\n      GOWORK: \"off\"\n      GOFLAGS: -mod=mod -tags=x\n      GOEXPERIMENT: \"a\\0b\"\n      GOAMD64: v3\n",
			want: []string{
				`lamb.yaml:5:7: build.env: CGO_ENABLED "2": want "0" or "1"`,
				`lamb.yaml:6:7: build.env: GOWORK cannot be set: lamb builds with the repository's go.work, if any`,
				`lamb.yaml:7:7: build.env: GOFLAGS -tags: lamb sets it itself; use build.tags, build.ldflags or build.gcflags`,
				`lamb.yaml:8:7: build.env: GOEXPERIMENT: value contains NUL`,
			},
		},
		{
			name: "project",
			yaml: "version: 1\nproject: \"shop*\"\n",
			want: []string{`lamb.yaml:2:10: project: "shop*" must be of letters, digits, spaces and _ . : / = + - @ (it is a tag value)`},
		},
		{
			name: "project empty",
			yaml: "version: 1\nproject: \"\"\n",
			want: []string{`lamb.yaml:2:10: project: empty: name the project (it marks the functions lamb deploys, as tag lamb:project)`},
		},
		{
			name: "project too long for the stage's tag",
			yaml: "version: 1\nproject: " + strings.Repeat("p", 250) + "\nstages:\n  production: {}\n",
			want: []string{`lamb.yaml:2:10: project: "` + strings.Repeat("p", 250) + `" makes the tag value "` + strings.Repeat("p", 250) + `/production" 261 characters, more than 256`},
		},
		{
			name: "manage",
			yaml: "version: 1\ndefaults:\n  manage: everything\nfunctions:\n  a:\n    package: ./functions/orders/create\n    manage: [code]\nstages:\n  prod: {manage: Code}\n",
			want: []string{
				`lamb.yaml:3:11: manage: "everything" is not all or code`,
				`lamb.yaml:7:13: manage: want a string, got a list`,
				`lamb.yaml:9:18: manage: "Code" is not all or code`,
			},
		},
		{
			name: "environment references",
			yaml: "version: 1\ndefaults:\n  environment:\n    DB_URL: {ssm: /prod/db/url}\n    B1: {ssm: \"no spaces\"}\n    B2: {ssm: /aws/x}\n    B3: {secret: prod/db, ssm: /x}\n    B4: {secret: \"bad secret!\"}\n    B5: {}\n    B6: {ssm: /x, key: k}\n    B7: {secret: prod/db, key: \"\"}\n    B8: {secrets: x}\n    B9: [a]\n    OK1: {secret: \"arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf\", key: password}\n    OK2: {ssm: \"arn:aws:ssm:eu-west-1:123456789012:parameter/prod/db:3\"}\n    OK3: {ssm: plain-name:live}\nstages:\n  prod:\n    environment: {B10: {ssm: \"\"}}\n",
			want: []string{
				`lamb.yaml:5:15: environment: value of "B1": ssm: "no spaces" is not a Parameter Store name (/path/name, of letters, digits and _ . -, optionally :VERSION or :LABEL) or ARN`,
				`lamb.yaml:6:15: environment: value of "B2": ssm: "/aws/x": names starting with aws or ssm are reserved`,
				`lamb.yaml:7:10: environment: value of "B3": ssm or secret, not both`,
				`lamb.yaml:8:18: environment: value of "B4": secret: "bad secret!" is not a Secrets Manager secret name (1-512 of letters, digits and / _ + = . @ -) or ARN`,
				`lamb.yaml:9:9: environment: value of "B5": want {ssm: NAME} or {secret: ID, key: KEY}`,
				`lamb.yaml:10:24: environment: value of "B6": key selects a key of a secret's JSON; a parameter has none`,
				`lamb.yaml:11:32: environment: value of "B7": key: want the name of a key in the secret's JSON`,
				`lamb.yaml:12:10: unknown field "secrets" (did you mean "secret"?)`,
				`lamb.yaml:12:10: environment: value of "B8": want {ssm: NAME} or {secret: ID, key: KEY}`,
				`lamb.yaml:13:9: environment: value of "B9": want a string, {ssm: NAME} or {secret: ID, key: KEY}, got a list`,
				`lamb.yaml:19:30: environment: value of "B10": ssm: "" is not a Parameter Store name (/path/name, of letters, digits and _ . -, optionally :VERSION or :LABEL) or ARN`,
			},
		},
		{
			name: "stage account and confirm",
			yaml: "version: 1\nstages:\n  prod:\n    account: \"1234\"\n    confirm: \"yes\"\n  qa:\n    account: 12345678901\n  dev:\n    account: 012345678901\n    confirm: true\n",
			want: []string{
				`lamb.yaml:4:14: account: "1234" is not an AWS account ID (12 digits, quoted: "012345678901")`,
				`lamb.yaml:5:14: confirm: want true or false, got string "yes"`,
				`lamb.yaml:7:14: account: "12345678901" is not an AWS account ID (12 digits, quoted: "012345678901")`,
			},
		},
		{
			name:  "rollout",
			files: map[string]string{"events/ok.json": `{"a": 1}`, "events/bad.json": "{not json", "events/fifo.json": "@fifo"},
			yaml:  "version: 1\ndefaults:\n  rollout:\n    steps: [0, 50, 50, 120, 90]\n    interval: \"5\"\n    alarms: [\"\", ok-alarm]\n    max_errors: -1\n    smoke: [events/ok.json, ./events/ok.json, events/missing.json, events, events/bad.json, events/fifo.json, ../x.json]\n    gates: 1\nfunctions:\n  a:\n    package: ./functions/orders/create\n    rollout: true\n  b:\n    package: ./functions/orders/get\n    rollout: {steps: [10, 50], interval: -1m}\nstages:\n  prod:\n    rollout: {steps: []}\n",
			want: []string{
				`lamb.yaml:4:13: rollout.steps: 0 is not a percentage of traffic (1..100)`,
				`lamb.yaml:4:20: rollout.steps: 50 after 50: steps increase`,
				`lamb.yaml:4:24: rollout.steps: 120 is not a percentage of traffic (1..100)`,
				`lamb.yaml:4:29: rollout.steps: 90 after 120: steps increase`,
				`lamb.yaml:5:15: rollout.interval: "5" is not a duration (like 30s, 1m, 0)`,
				`lamb.yaml:6:14: rollout.alarms: "" is not a CloudWatch alarm name (1-255 characters)`,
				`lamb.yaml:7:17: rollout.max_errors: -1 is negative`,
				`lamb.yaml:8:29: rollout.smoke: "./events/ok.json" is listed twice (first at lamb.yaml:8:13)`,
				`lamb.yaml:8:47: rollout.smoke: "events/missing.json" does not exist`,
				`lamb.yaml:8:68: rollout.smoke: "events" is a directory: list the files`,
				`lamb.yaml:8:76: rollout.smoke: "events/bad.json" is not JSON (an event is the JSON payload of an invoke)`,
				`lamb.yaml:8:93: rollout.smoke: "events/fifo.json" is a FIFO: rollout.smoke: lists regular files only`,
				`lamb.yaml:8:111: rollout.smoke: "../x.json" is outside the repo`,
				`lamb.yaml:9:5: unknown field "gates" in rollout (known: alarms, interval, max_errors, smoke, steps)`,
				`lamb.yaml:13:14: rollout: want a mapping {steps: [10, 50, 100], ...}, none or false, got boolean true`,
				`lamb.yaml:16:27: rollout.steps: the last step is 50: it must be 100 (all traffic on the new version)`,
				`lamb.yaml:16:42: rollout.interval: -1m is negative`,
				`lamb.yaml:19:22: rollout.steps: empty: list the traffic percentages, ending with 100`,
			},
		},
		{
			name: "budget",
			yaml: "version: 1\ndefaults:\n  budget: {zip: 8mb, growth: \"10\", init: fast}\nfunctions:\n  a:\n    package: ./functions/orders/create\n    budget: {zip: \"0\", growth: \"-1%\", init: 0s, size: 1}\n  b:\n    package: ./functions/orders/get\n    budget: {zip: \"1.5\", growth: 2.5%, init: 1ms}\n",
			want: []string{
				`lamb.yaml:3:17: budget.zip: "8mb" is not a size (like 8MiB, 500KB or 1048576: units B, KB, MB, GB, KiB, MiB, GiB)`,
				`lamb.yaml:3:30: budget.growth: "10" is not a percentage (like 10%)`,
				`lamb.yaml:3:42: budget.init: "fast" is not a duration (like 100ms)`,
				`lamb.yaml:7:19: budget.zip: "0": want at least 1 byte`,
				`lamb.yaml:7:32: budget.growth: "-1%" is not a percentage (like 10%)`,
				`lamb.yaml:7:45: budget.init: 0s: want a positive duration`,
				`lamb.yaml:7:49: unknown field "size" in budget (known: growth, init, zip)`,
				`lamb.yaml:10:19: budget.zip: "1.5" is not a size (like 8MiB, 500KB or 1048576: units B, KB, MB, GB, KiB, MiB, GiB)`,
			},
		},
		{
			name: "http",
			yaml: "version: 1\nfunctions:\n  a:\n    package: ./functions/orders/create\n    http:\n      routes: [\"POST /orders\", \"GET /orders/{id}\", get /x, \"GET /a//b\", \"GET /b/{proxy+}/c\"]\n      url: {auth: PUBLIC}\n  b:\n    package: ./functions/orders/get\n    http:\n      routes: [\"GET /orders/{orderId}\", POST /orders, $default]\n      url: \"yes\"\n  c:\n    package: ./functions/users/get\n    http: {routes: [$default, \"ANY /users/{proxy+}\", \"ANY /users/{rest+}\"], paths: []}\n",
			want: []string{
				`lamb.yaml:6:16: http.routes: route "POST /orders" (a) is already routed to b (at lamb.yaml:11:41)`,
				`lamb.yaml:6:32: http.routes: route "GET /orders/{id}" (a) is the same route as "GET /orders/{orderId}" (b): only parameter names differ (at lamb.yaml:11:16)`,
				`lamb.yaml:6:52: http.routes: route key "get /x": method "get" must be upper case: GET`,
				`lamb.yaml:6:68: http.routes: route key "GET /a//b": empty segment ("//") in path "/a//b"`,
				`lamb.yaml:6:81: http.routes: route key "GET /b/{proxy+}/c": greedy parameter "{proxy+}" must be the last segment`,
				`lamb.yaml:7:19: http.url.auth: "PUBLIC" is not AWS_IAM (signed requests only) or NONE (public)`,
				`lamb.yaml:11:16: http.routes: route "GET /orders/{orderId}" (b) is the same route as "GET /orders/{id}" (a): only parameter names differ (at lamb.yaml:6:32)`,
				`lamb.yaml:11:41: http.routes: route "POST /orders" (b) is already routed to a (at lamb.yaml:6:16)`,
				`lamb.yaml:11:55: http.routes: route "$default" (b) is already routed to c (at lamb.yaml:15:21)`,
				`lamb.yaml:12:12: http.url: want true, false or {auth: AWS_IAM|NONE}, got string "yes"`,
				`lamb.yaml:15:21: http.routes: route "$default" (c) is already routed to b (at lamb.yaml:11:55)`,
				`lamb.yaml:15:31: http.routes: route "ANY /users/{proxy+}" (c) is the same route as "ANY /users/{rest+}" (c): only parameter names differ (at lamb.yaml:15:54)`,
				`lamb.yaml:15:54: http.routes: route "ANY /users/{rest+}" (c) is the same route as "ANY /users/{proxy+}" (c): only parameter names differ (at lamb.yaml:15:31)`,
				`lamb.yaml:15:77: unknown field "paths" in http (known: routes, url)`,
			},
		},
		{
			name:  "unknown stage",
			yaml:  "version: 1\nstages:\n  prod: {}\n  dev: {}\n",
			stage: "qa",
			want:  []string{`unknown stage "qa" (lamb.yaml has: prod, dev)`},
		},
		{
			name:  "unknown stage without stages",
			yaml:  "version: 1\n",
			stage: "qa",
			want:  []string{`unknown stage "qa": lamb.yaml defines no stages`},
		},
		{
			name: "unknown anchor",
			yaml: "version: 1\ndefaults: *nope\n",
			want: []string{`lamb.yaml:2:11: unknown anchor "nope"`},
		},
		{
			name: "two documents",
			yaml: "version: 1\ndefaults: {memory: 1}\n---\nversion: 1\n",
			want: []string{
				`lamb.yaml:2:20: memory: 1 is out of range 128..10240 (MB)`,
				`lamb.yaml:4:1: more than one YAML document: a manifest is one document`,
			},
		},
		{
			name: "duplicate keys do not hide other problems",
			yaml: "version: 1\nfunctions:\n  a:\n    package: ./functions/orders/create\n    memory: 256\n    memory: 512\n    timeout: 0\n  a:\n    package: ./functions/orders/get\n    environment: {A1: x, A1: y}\n",
			want: []string{
				`lamb.yaml:6:5: duplicate key "memory" (first at lamb.yaml:5:5)`,
				`lamb.yaml:7:14: timeout: 0 is out of range 1..900 (seconds)`,
				`lamb.yaml:8:3: duplicate key "a" (first at lamb.yaml:3:3)`,
			},
		},
		{
			name: "a syntax error does not hide other problems",
			yaml: "version: 1\ndefaults:\n  memory: 64\nfunctions:\n  a: {package: ./functions/orders/create\n  b:\n    package: ./functions/orders/get\n    timeout: 0\n",
			want: []string{
				`lamb.yaml:3:11: memory: 64 is out of range 128..10240 (MB)`,
				`lamb.yaml:5:6: could not find flow mapping end token '}'`,
				`lamb.yaml:8:14: timeout: 0 is out of range 1..900 (seconds)`,
			},
		},
		{
			name: "two syntax errors",
			yaml: "version: 1\nfunctions:\n  a: {package: ./functions/orders/create\n  b:\n    package: ./functions/orders/get\n    memory: [128\n    timeout: 0\n  c:\n    package: ./functions/nope\n",
			want: []string{
				`lamb.yaml:3:6: could not find flow mapping end token '}'`,
				`lamb.yaml:6:13: sequence end token ']' not found`,
				`lamb.yaml:7:14: timeout: 0 is out of range 1..900 (seconds)`,
				`lamb.yaml:9:14: package "./functions/nope" does not exist`,
			},
		},
		{
			name: "a syntax error in a required field hides no false problem",
			yaml: "version: [1\nfunctions:\n  a:\n    package: \"./functions/orders/create\n    memory: 1\n",
			want: []string{
				`lamb.yaml:1:10: sequence end token ']' not found`,
				`lamb.yaml:4:14: could not find end character of double-quoted text`,
				`lamb.yaml:5:13: memory: 1 is out of range 128..10240 (MB)`,
			},
		},
		{
			name: "an unknown anchor does not hide other problems",
			yaml: "version: 1\ndefaults: *nope\nfunctions:\n  a:\n    package: ./functions/orders/create\n    memory: 1\n",
			want: []string{
				`lamb.yaml:2:11: unknown anchor "nope"`,
				`lamb.yaml:6:13: memory: 1 is out of range 128..10240 (MB)`,
			},
		},
	}
}

func TestLoadErrors(t *testing.T) {
	for _, tt := range loadErrorCases() {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"lamb.yaml": tt.yaml}
			var links []string
			for k, v := range tt.files {
				if strings.HasPrefix(v, "@") {
					links = append(links, k, v)
					continue
				}
				files[k] = v
			}
			dir := writeRepo(t, files)
			for i := 0; i < len(links); i += 2 {
				makeSpecial(t, filepath.Join(dir, links[i]), links[i+1])
			}
			m, err := loadWithin(t, dir, tt.stage, 30*time.Second)
			if err == nil {
				t.Fatalf("Load succeeded with %d functions, want errors", len(m.Functions))
			}
			if diff := cmp.Diff(tt.want, errLines(err)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadErrorsType(t *testing.T) {
	dir := writeRepo(t, map[string]string{"lamb.yaml": "version: 1\ndefaults: {memory: 1, timeout: 0}\n"})
	_, err := loadIn(t, dir, "")
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Load error %T is not Errors", err)
	}
	want := Errors{
		{Pos: Pos{File: "lamb.yaml", Line: 2, Col: 20}, Msg: "memory: 1 is out of range 128..10240 (MB)"},
		{Pos: Pos{File: "lamb.yaml", Line: 2, Col: 32}, Msg: "timeout: 0 is out of range 1..900 (seconds)"},
	}
	if diff := cmp.Diff(want, errs); diff != "" {
		t.Errorf("Errors (-want +got):\n%s", diff)
	}
}

const fullManifest = `version: 1
cache: s3://bucket/lamb
defaults:
  memory: 256
  timeout: 10
  role: arn:aws:iam::123456789012:role/base
  environment: {LOG_LEVEL: info, PORT: 8080}
  tags: {team: core}
  alias: live
  build: {tags: [lambda.norpc], ldflags: "-s -w", env: {CGO_ENABLED: "0"}}
functions:
  orders-create:
    package: ./functions/orders/create
    memory: 512
    architecture: x86_64
    environment: {TABLE: orders, LOG_LEVEL: debug}
    tags: {svc: orders}
    files: [config/rates.json, ./functions/orders/create/main.go]
    build: {tags: [extra], env: {GOFLAGS: -mod=mod}}
discover:
  - packages: ./functions/...
    name: '{{.Parent}}-{{.Dir}}'
    timeout: 20
stages:
  prod:
    prefix: prod-
    role: arn:aws:iam::123456789012:role/prod
    environment: {LOG_LEVEL: warn}
    tags: {env: prod}
    alias: stable
    region: eu-west-1
    artifact_bucket: my-artifacts
`

func TestLoadResolves(t *testing.T) {
	base := Function{
		Runtime: "provided.al2023", Architecture: "arm64", Memory: 256, Timeout: 20, Manage: "all",
		Role:        "arn:aws:iam::123456789012:role/base",
		Environment: map[string]string{"LOG_LEVEL": "info", "PORT": "8080"},
		Tags:        map[string]string{"team": "core"},
		Alias:       "live",
		Build:       Build{Tags: []string{"lambda.norpc"}, LDFlags: "-s -w", Env: map[string]string{"CGO_ENABLED": "0"}},
	}
	fn := func(name, dir string, edit func(*Function)) Function {
		f := base
		f.Name, f.Key, f.Dir, f.Package = name, name, dir, "./"+dir
		if edit != nil {
			edit(&f)
		}
		return f
	}
	create := fn("orders-create", "functions/orders/create", func(f *Function) {
		f.Memory, f.Timeout, f.Architecture = 512, 10, "x86_64"
		f.Environment = map[string]string{"LOG_LEVEL": "debug", "PORT": "8080", "TABLE": "orders"}
		f.Tags = map[string]string{"team": "core", "svc": "orders"}
		f.Files = []string{"config/rates.json", "functions/orders/create/main.go"}
		f.Build = Build{Tags: []string{"extra"}, LDFlags: "-s -w", Env: map[string]string{"CGO_ENABLED": "0", "GOFLAGS": "-mod=mod"}}
	})
	prod := func(f Function) Function {
		f.Name = "prod-" + f.Name
		f.Role = "arn:aws:iam::123456789012:role/prod"
		f.Environment = map[string]string{}
		for k, v := range create.Environment {
			if k != "TABLE" || f.Key == "orders-create" {
				f.Environment[k] = v
			}
		}
		f.Environment["LOG_LEVEL"] = "warn"
		f.Tags = map[string]string{"team": "core", "env": "prod"}
		if f.Key == "orders-create" {
			f.Tags["svc"] = "orders"
		}
		f.Alias = "stable"
		return f
	}
	discovered := []Function{
		fn("functions-mailer", "functions/mailer", nil),
		fn("orders-get", "functions/orders/get", nil),
		fn("users-get", "functions/users/get", nil),
	}
	tests := []struct {
		name      string
		yaml      string
		stage     string
		want      []Function
		wantStage *Stage
		wantCache string
	}{
		{
			name:      "defaults, functions and discover",
			yaml:      fullManifest,
			want:      []Function{discovered[0], create, discovered[1], discovered[2]},
			wantCache: "s3://bucket/lamb",
		},
		{
			name:  "stage overlays",
			yaml:  fullManifest,
			stage: "prod",
			want:  []Function{prod(discovered[0]), prod(create), prod(discovered[1]), prod(discovered[2])},
			wantStage: &Stage{
				Name: "prod", Prefix: "prod-", Role: "arn:aws:iam::123456789012:role/prod",
				Environment: map[string]string{"LOG_LEVEL": "warn"}, Tags: map[string]string{"env": "prod"},
				Alias: "stable", ArtifactBucket: "my-artifacts", Region: "eu-west-1",
			},
			wantCache: "s3://bucket/lamb",
		},
		{
			name: "built-in defaults",
			yaml: "version: 1\nfunctions:\n  a:\n    package: functions/orders/create/\n",
			want: []Function{{
				Name: "a", Key: "a", Package: "./functions/orders/create", Dir: "functions/orders/create",
				Runtime: "provided.al2023", Architecture: "arm64", Memory: 128, Timeout: 3, Manage: "all",
			}},
		},
		{
			name: "anchors, merge keys and null values",
			yaml: "version: 1\ndefaults:\n  alias: live\nfunctions:\n  a: &common\n    package: ./functions/orders/create\n    memory: 1024\n    alias:\n  b:\n    <<: *common\n    package: ./functions/orders/get\n",
			want: []Function{
				{Name: "a", Key: "a", Package: "./functions/orders/create", Dir: "functions/orders/create", Runtime: "provided.al2023", Architecture: "arm64", Memory: 1024, Timeout: 3, Manage: "all"},
				{Name: "b", Key: "b", Package: "./functions/orders/get", Dir: "functions/orders/get", Runtime: "provided.al2023", Architecture: "arm64", Memory: 1024, Timeout: 3, Manage: "all"},
			},
		},
		{
			name: "discover template functions, single directory, explicit package wins",
			yaml: "version: 1\nfunctions:\n  mine:\n    package: ./functions/orders/get\ndiscover:\n  - packages: ./functions/orders/...\n    name: '{{replace .Path \"/\" \"_\" | trimPrefix \"functions_\"}}'\n  - packages: functions/mailer\n    name: '{{upper .Dir}}'\n",
			want: []Function{
				{Name: "MAILER", Key: "MAILER", Package: "./functions/mailer", Dir: "functions/mailer", Runtime: "provided.al2023", Architecture: "arm64", Memory: 128, Timeout: 3, Manage: "all"},
				{Name: "mine", Key: "mine", Package: "./functions/orders/get", Dir: "functions/orders/get", Runtime: "provided.al2023", Architecture: "arm64", Memory: 128, Timeout: 3, Manage: "all"},
				{Name: "orders_create", Key: "orders_create", Package: "./functions/orders/create", Dir: "functions/orders/create", Runtime: "provided.al2023", Architecture: "arm64", Memory: 128, Timeout: 3, Manage: "all"},
			},
		},
		{
			name: "empty manifest",
			yaml: "version: 1\n",
		},
		{
			name: "a UTF-8 byte order mark",
			yaml: "\ufeffversion: 1\nfunctions:\n  a:\n    package: ./functions/orders/create\n",
			want: []Function{{
				Name: "a", Key: "a", Package: "./functions/orders/create", Dir: "functions/orders/create",
				Runtime: "provided.al2023", Architecture: "arm64", Memory: 128, Timeout: 3, Manage: "all",
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeRepo(t, map[string]string{"lamb.yaml": tt.yaml})
			m, err := loadIn(t, dir, tt.stage)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if diff := cmp.Diff(tt.want, m.Functions, cmpopts.IgnoreFields(Function{}, "Pos"), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Functions (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantStage, m.Stage, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Stage (-want +got):\n%s", diff)
			}
			if m.Cache != tt.wantCache {
				t.Errorf("Cache = %q, want %q", m.Cache, tt.wantCache)
			}
			real, _ := filepath.EvalSymlinks(dir)
			if root, _ := filepath.EvalSymlinks(m.Root); root != real {
				t.Errorf("Root = %q, want %q", m.Root, dir)
			}
			if m.Path != filepath.Join(m.Root, "lamb.yaml") {
				t.Errorf("Path = %q, want Root/lamb.yaml", m.Path)
			}
		})
	}
}

func TestLoadPositions(t *testing.T) {
	dir := writeRepo(t, map[string]string{"lamb.yaml": fullManifest})
	m, err := loadIn(t, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Pos{}
	for _, f := range m.Functions {
		got[f.Name] = f.Pos
	}
	want := map[string]Pos{
		"orders-create":    {File: "lamb.yaml", Line: 12, Col: 3},
		"functions-mailer": {File: "lamb.yaml", Line: 22, Col: 11},
		"orders-get":       {File: "lamb.yaml", Line: 22, Col: 11},
		"users-get":        {File: "lamb.yaml", Line: 22, Col: 11},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("positions (-want +got):\n%s", diff)
	}
}

func TestLoadFileNames(t *testing.T) {
	dir := writeRepo(t, map[string]string{"lamb.yaml": "version: 2\n"})
	t.Chdir(dir)
	for _, tt := range []struct{ file, want string }{
		{"lamb.yaml", "lamb.yaml:1:10: version: unsupported version 2 (this lamb reads version 1)"},
		{"./lamb.yaml", "./lamb.yaml:1:10: version: unsupported version 2 (this lamb reads version 1)"},
		{filepath.Join(dir, "lamb.yaml"), "lamb.yaml:1:10: version: unsupported version 2 (this lamb reads version 1)"},
	} {
		_, err := Load(tt.file, LoadOptions{})
		if err == nil || err.Error() != tt.want {
			t.Errorf("Load(%q) = %v, want %s", tt.file, err, tt.want)
		}
	}
	if _, err := Load("missing.yaml", LoadOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing.yaml) = %v, want a not-exist error", err)
	}
}

func TestFind(t *testing.T) {
	dir := writeRepo(t, map[string]string{"lamb.yaml": "version: 1\n"})
	want := filepath.Join(dir, "lamb.yaml")
	for _, from := range []string{dir, filepath.Join(dir, "functions", "orders", "create")} {
		got, err := Find(from)
		if err != nil || got != want {
			t.Errorf("Find(%s) = %q, %v; want %q", from, got, err, want)
		}
	}
	empty := t.TempDir()
	if _, err := Find(empty); err == nil || !strings.Contains(err.Error(), "no lamb.yaml in "+empty+" or any parent directory") {
		t.Errorf("Find(empty dir) error = %v", err)
	}
}

func TestMainPackages(t *testing.T) {
	dir := writeRepo(t, map[string]string{
		"functions/orders/create/main.go": "package main\n\nimport \"github.com/aws/aws-lambda-go/lambda\"\n\nfunc main() { lambda.Start(nil) }\n",
		"cmd/tool/main.go":                "package main\n",
	})
	got, err := MainPackages(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []MainPackage{
		{Dir: "cmd/tool"},
		{Dir: "functions/mailer"},
		{Dir: "functions/orders/create", Lambda: true},
		{Dir: "functions/orders/get"},
		{Dir: "functions/users/get"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("MainPackages (-want +got):\n%s", diff)
	}
}

func TestStageNames(t *testing.T) {
	dir := writeRepo(t, map[string]string{"lamb.yaml": fullManifest + "  dev: {prefix: dev-}\n"})
	got, err := StageNames(filepath.Join(dir, "lamb.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"prod", "dev"}, got); diff != "" {
		t.Errorf("StageNames (-want +got):\n%s", diff)
	}
}

func TestSuggest(t *testing.T) {
	fields := []string{"memory", "timeout", "runtime", "role", "alias", "environment", "architecture"}
	for _, tt := range []struct{ in, want string }{
		{"memroy", "memory"},
		{"Memory", "memory"},
		{"timout", "timeout"},
		{"enviroment", "environment"},
		{"rol", "role"},
		{"zzz", ""},
		{"package", ""},
	} {
		if got := suggest(tt.in, fields); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzLoad: load never panics, hangs on a special file or returns an
// error that is not one positioned line. The seeds are large, so
// minimizing a new input takes the default -fuzzminimizetime (60 s) with
// no execs shown: fuzz with -fuzzminimizetime=5s.
func FuzzLoad(f *testing.F) {
	for _, s := range []string{
		fullManifest,
		"version: 1\n",
		"version: 1\nfunctions:\n  a: &x\n    package: ./functions/orders/create\n  b:\n    <<: *x\n",
		"version: 1\ndiscover:\n  - packages: ./...\n    name: '{{.Path}}'\n",
		"[1, {a: b}]",
		"version: 1\ndefaults: {memory: 99999999999999999999999}\n",
		"a: !!str 1\n",
		"? [a]\n: b\n",
		"\ufeffversion: 1\n",
		"version: 1\nfunctions:\n  a:\n    package: ./functions/orders/create\n    files: [config/fifo, config/fifo-link, config/dir]\n",
		string(mergeManifest(100, 3, 50)),
		newSettings,
	} {
		f.Add(s)
	}
	// Every class of bad input the table tests know.
	for _, tt := range loadErrorCases() {
		f.Add(tt.yaml)
	}
	if data, err := os.ReadFile(filepath.Join("..", "testdata", "monorepo", "lamb.yaml")); err == nil {
		f.Add(string(data))
	}
	dir := writeRepo(f, nil)
	// Files that must never be read: load has to return, whatever names them.
	makeSpecial(f, filepath.Join(dir, "config", "fifo"), "@fifo")
	makeSpecial(f, filepath.Join(dir, "config", "fifo-link"), "@symlink fifo")
	makeSpecial(f, filepath.Join(dir, "functions", "orders", "get", "zz.go"), "@fifo")
	if err := os.Mkdir(filepath.Join(dir, "config", "dir"), 0o755); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data string) {
		for _, stage := range []string{"", "prod"} {
			m, err := load([]byte(data), filepath.Join(dir, "lamb.yaml"), "lamb.yaml", LoadOptions{Stage: stage})
			if (m == nil) == (err == nil) {
				t.Fatalf("load returned %v and %v", m, err)
			}
			var errs Errors
			if errors.As(err, &errs) {
				if len(errs) == 0 {
					t.Fatal("load returned no Errors")
				}
				for _, e := range errs {
					if e.Pos.File != "lamb.yaml" || e.Pos.Line < 1 || e.Pos.Col < 0 || strings.Contains(e.Msg, "\n") {
						t.Errorf("bad error %q at %+v", e.Msg, e.Pos)
					}
				}
			}
		}
	})
}

func TestLookup(t *testing.T) {
	// Under stage prefix "prod-": function "a" is prod-a, function "prod-a"
	// is prod-prod-a.
	m := &Manifest{Functions: []Function{
		{Name: "prod-prod-a", Key: "prod-a"},
		{Name: "prod-a", Key: "a"},
		{Name: "prod-b", Key: "b"},
	}}
	for _, tt := range []struct {
		name    string
		wantKey string
		ok      bool
	}{
		{"prod-a", "a", true}, // the Name wins over the Key "prod-a"
		{"a", "a", true},
		{"prod-prod-a", "prod-a", true},
		{"b", "b", true},
		{"prod-b", "b", true},
		{"c", "", false},
	} {
		f, ok := m.Lookup(tt.name)
		if ok != tt.ok || f.Key != tt.wantKey {
			t.Errorf("Lookup(%q) = %q, %v; want %q, %v", tt.name, f.Key, ok, tt.wantKey, tt.ok)
		}
	}
}

func TestLoadRefusesWhatIsNotAManifestFile(t *testing.T) {
	dir := writeRepo(t, map[string]string{
		"big.yaml": "version: 1\n#" + strings.Repeat("x", MaxFileSize) + "\n",
	})
	makeSpecial(t, filepath.Join(dir, "fifo.yaml"), "@fifo")
	t.Chdir(dir)
	for _, tt := range []struct{ file, want string }{
		{"/dev/zero", "load manifest: /dev/zero: not a regular file (device)"},
		{"fifo.yaml", "load manifest: fifo.yaml: not a regular file (FIFO)"},
		{"big.yaml", "load manifest: big.yaml: file too large: a manifest is at most 1 MiB (1048576 bytes)"},
		{"config", "load manifest: config: not a regular file (directory)"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := Load(tt.file, LoadOptions{})
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || err.Error() != tt.want {
					t.Errorf("Load(%s) = %v, want %s", tt.file, err, tt.want)
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("Load(%s) has not returned after 30s", tt.file)
			}
		})
	}
}

// TestLoadAliasExpansion: aliases may not multiply the document (a
// "billion laughs"): the expansion is bounded, and refused quickly.
func TestLoadAliasExpansion(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("version: 1\nfunctions:\n  a:\n    package: ./functions/orders/create\n    environment:\n      <<: [")
	b.WriteString("&l0 {")
	for k := range 16 {
		fmt.Fprintf(&b, "K%d: v, ", k)
	}
	b.WriteString("}")
	for l := 1; l <= 6; l++ {
		fmt.Fprintf(&b, ", &l%d [", l)
		for k := range 16 {
			if k > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", l-1)
		}
		b.WriteString("]")
	}
	b.WriteString("]\n")
	dir := writeRepo(t, nil)
	_, err := load([]byte(b.String()), filepath.Join(dir, "lamb.yaml"), "lamb.yaml", LoadOptions{})
	want := []string{"lamb.yaml:6:400: aliases expand the manifest to more than 1048576 values"}
	if diff := cmp.Diff(want, errLines(err)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

// TestLoadKeyBudget: mappings too large for the YAML parser are refused
// before it runs, at the key that passes the budget.
func TestLoadKeyBudget(t *testing.T) {
	t.Parallel()
	dir := writeRepo(t, nil)
	for _, tt := range []struct {
		name string
		data []byte
		want []string
	}{
		{
			name: "10,000 keys in one mapping",
			data: mergeManifest(10000, 1),
			want: []string{"lamb.yaml:4102:9: too many keys: lamb reads mappings of at most 4096 keys (fewer when several are large)"},
		},
		{
			name: "many mappings of 3,000 keys",
			data: mergeManifest(3000, 1, 3000, 3000),
			want: []string{"lamb.yaml:5798:9: too many keys: lamb reads mappings of at most 4096 keys (fewer when several are large)"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(tt.data, filepath.Join(dir, "lamb.yaml"), "lamb.yaml", LoadOptions{})
			if diff := cmp.Diff(tt.want, errLines(err)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// mergeManifest has keys environment variables in an anchored mapping,
// merged into functions functions (the shape that was quadratic), and
// more mappings of the given sizes.
func mergeManifest(keys, functions int, more ...int) []byte {
	var b strings.Builder
	b.WriteString("version: 1\nfunctions:\n")
	for i := range functions {
		fmt.Fprintf(&b, "  f%d:\n    package: ./functions/orders/create\n    environment:\n", i)
		if i == 0 {
			b.WriteString("      <<: &env\n")
			for k := range keys {
				fmt.Fprintf(&b, "        K%05d: v\n", k)
			}
			continue
		}
		b.WriteString("      <<: *env\n      OWN: x\n")
	}
	for i, n := range more {
		fmt.Fprintf(&b, "  g%d:\n    package: ./functions/orders/create\n    tags:\n", i)
		for k := range n {
			fmt.Fprintf(&b, "        t%05d: v\n", k)
		}
	}
	return []byte(b.String())
}

// BenchmarkLoadMerge: 4,000 environment keys (the most the YAML parser
// is given in one mapping) merged into 30 functions: linear in the merged
// keys (10,000 keys merged 30 times took 18 s when merges were quadratic).
func BenchmarkLoadMerge(b *testing.B) {
	for _, keys := range []int{1000, 4000} {
		b.Run(fmt.Sprintf("keys=%d", keys), func(b *testing.B) {
			data := mergeManifest(keys, 30)
			dir := writeRepo(b, nil)
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				_, err := load(data, filepath.Join(dir, "lamb.yaml"), "lamb.yaml", LoadOptions{})
				if err == nil || !strings.Contains(err.Error(), "more than Lambda's 4 KB limit") {
					b.Fatalf("load: %v", err)
				}
			}
		})
	}
}

// newSettings uses every setting of issues 12-15 in each layer.
const newSettings = `version: 1
project: shop
defaults:
  manage: code
  environment:
    DB_URL: {ssm: /shop/db/url}
    LOG_LEVEL: info
  rollout: {steps: [10, 100], interval: 30s}
  budget: {zip: 8MiB, growth: 10%}
functions:
  orders-create:
    package: ./functions/orders/create
    manage: all
    environment:
      DB_URL: postgres://localhost/shop
      API_KEY: {secret: shop/keys, key: stripe}
    rollout: {smoke: [events/create.json], alarms: [orders-5xx]}
    budget: {init: 100ms, growth: 0%}
    http:
      routes: ["POST /orders", "GET /orders/{id}"]
      url: true
  orders-get:
    package: ./functions/orders/get
    rollout: none
    budget: {zip: 500 KB}
    http: {url: {auth: NONE}}
discover:
  - packages: ./functions/users/...
    name: users
    rollout: {steps: [50, 100], max_errors: 3}
stages:
  prod:
    manage: all
    account: "012345678901"
    confirm: true
    environment:
      LOG_LEVEL: {ssm: /shop/prod/log-level}
      DB_URL: {secret: prod/db}
    rollout: {interval: 5m}
  dev:
    rollout: false
`

func TestLoadResolvesSettings(t *testing.T) {
	t.Parallel()
	dir := writeRepo(t, map[string]string{"lamb.yaml": newSettings, "events/create.json": `{"body": "{}"}`})
	pct := func(f float64) *float64 { return &f }
	base := map[string]Function{
		"orders-create": {
			Manage:      ManageAll,
			Environment: map[string]string{"DB_URL": "postgres://localhost/shop", "LOG_LEVEL": "info"},
			EnvRefs:     map[string]EnvRef{"API_KEY": {Secret: "shop/keys", Key: "stripe"}},
			Rollout:     &Rollout{Steps: []int{10, 100}, Interval: 30 * time.Second, Smoke: []string{"events/create.json"}, Alarms: []string{"orders-5xx"}},
			Budget:      Budget{Zip: 8 << 20, Growth: pct(0), Init: 100 * time.Millisecond},
			HTTP:        HTTP{Routes: []string{"POST /orders", "GET /orders/{id}"}, URL: &FunctionURL{Auth: URLAuthIAM}},
		},
		"orders-get": {
			Manage:      ManageCode,
			Environment: map[string]string{"LOG_LEVEL": "info"},
			EnvRefs:     map[string]EnvRef{"DB_URL": {SSM: "/shop/db/url"}},
			Budget:      Budget{Zip: 500_000, Growth: pct(10)},
			HTTP:        HTTP{URL: &FunctionURL{Auth: URLAuthNone}},
		},
		"users": {
			Manage:      ManageCode,
			Environment: map[string]string{"LOG_LEVEL": "info"},
			EnvRefs:     map[string]EnvRef{"DB_URL": {SSM: "/shop/db/url"}},
			Rollout:     &Rollout{Steps: []int{50, 100}, Interval: 30 * time.Second, MaxErrors: 3},
			Budget:      Budget{Zip: 8 << 20, Growth: pct(10)},
		},
	}
	prod := map[string]func(*Function){
		"": func(*Function) {},
		"prod": func(f *Function) {
			f.Manage = ManageAll
			f.Environment = maps.Clone(f.Environment)
			f.EnvRefs = maps.Clone(f.EnvRefs)
			delete(f.Environment, "LOG_LEVEL")
			delete(f.Environment, "DB_URL")
			if f.EnvRefs == nil {
				f.EnvRefs = map[string]EnvRef{}
			}
			f.EnvRefs["LOG_LEVEL"] = EnvRef{SSM: "/shop/prod/log-level"}
			f.EnvRefs["DB_URL"] = EnvRef{Secret: "prod/db"}
			if f.Rollout != nil {
				// The stage changes the interval; it does not turn on
				// orders-get's rollout (none): it sets no steps.
				r := *f.Rollout
				r.Interval = 5 * time.Minute
				f.Rollout = &r
			}
		},
		"dev": func(f *Function) { f.Rollout = nil },
	}
	for _, stage := range []string{"", "prod", "dev"} {
		t.Run("stage="+stage, func(t *testing.T) {
			m, err := load([]byte(newSettings), filepath.Join(dir, "lamb.yaml"), "lamb.yaml", LoadOptions{Stage: stage})
			if err != nil {
				t.Fatal(err)
			}
			if m.Project != "shop" {
				t.Errorf("Project = %q, want shop", m.Project)
			}
			if stage == "prod" {
				want := &Stage{
					Name: "prod", Manage: ManageAll, Account: "012345678901", Confirm: true,
					EnvRefs: map[string]EnvRef{"LOG_LEVEL": {SSM: "/shop/prod/log-level"}, "DB_URL": {Secret: "prod/db"}},
				}
				if diff := cmp.Diff(want, m.Stage, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("Stage (-want +got):\n%s", diff)
				}
			}
			got := map[string]Function{}
			for _, f := range m.Functions {
				got[f.Key] = Function{Manage: f.Manage, Environment: f.Environment, EnvRefs: f.EnvRefs, Rollout: f.Rollout, Budget: f.Budget, HTTP: f.HTTP}
			}
			want := map[string]Function{}
			for k, f := range base {
				prod[stage](&f)
				want[k] = f
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("settings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRouteTable(t *testing.T) {
	t.Parallel()
	dir := writeRepo(t, map[string]string{"lamb.yaml": newSettings, "events/create.json": "{}"})
	m, err := load([]byte(newSettings), filepath.Join(dir, "lamb.yaml"), "lamb.yaml", LoadOptions{Stage: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := RouteTable(m.Functions)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range tbl.Routes() {
		got = append(got, r.Key.String()+" -> "+r.Target)
	}
	want := []string{"POST /orders -> orders-create", "GET /orders/{id} -> orders-create"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("routes (-want +got):\n%s", diff)
	}
	target, _, params, ok := tbl.Match("GET", "/orders/42")
	if !ok || target != "orders-create" || params["id"] != "42" {
		t.Errorf("Match(GET /orders/42) = %q, %v, %v", target, params, ok)
	}
	if _, err := RouteTable([]Function{{Name: "a", HTTP: HTTP{Routes: []string{"GET /x"}}}, {Name: "b", HTTP: HTTP{Routes: []string{"GET /x"}}}}); err == nil {
		t.Error("RouteTable with one route twice: no error")
	}
}
