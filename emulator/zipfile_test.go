package emulator

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// decodeBoth decodes body as UpdateFunctionCode and CreateFunction
// requests twice: by encoding/json alone, and with cutZipFile as the
// emulator does.
func decodeBoth(t *testing.T, body []byte) {
	t.Helper()
	var u1, u2 updateCodeInput
	err1 := json.Unmarshal(body, &u1)
	err2 := decodeCut(body, &u2, func(z []byte) { u2.ZipFile = z })
	same(t, "update", u1, u2, err1, err2)
	var c1, c2 createInput
	err1 = json.Unmarshal(body, &c1)
	err2 = decodeCut(body, &c2, func(z []byte) { c2.Code.ZipFile = z }, "Code")
	same(t, "create", c1, c2, err1, err2)
}

func decodeCut(body []byte, v any, set func([]byte), path ...string) error {
	rest, zip, ok := cutZipFile(body, path...)
	if !ok {
		return json.Unmarshal(body, v)
	}
	if err := json.Unmarshal(rest, v); err != nil {
		return err
	}
	set(zip)
	return nil
}

func same[T any](t *testing.T, what string, want, got T, errWant, errGot error) {
	t.Helper()
	if (errWant == nil) != (errGot == nil) || errWant != nil && errWant.Error() != errGot.Error() {
		t.Fatalf("%s: error %v, encoding/json alone: %v", what, errGot, errWant)
	}
	if errWant != nil {
		return
	}
	// A nil and an empty ZipFile mean the same (no package).
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(updateCodeInput{}, codeInput{}), cmp.Comparer(func(a, b []byte) bool { return string(a) == string(b) })); diff != "" {
		t.Fatalf("%s (-encoding/json +cut):\n%s", what, diff)
	}
}

func TestCutZipFile(t *testing.T) {
	zip := base64.StdEncoding.EncodeToString([]byte("PK\x03\x04 a zip, or so"))
	tests := []struct {
		name string
		body string
		path []string
		cut  bool // cutZipFile takes it
	}{
		{"update", `{"FunctionName":"f","ZipFile":"` + zip + `","Publish":true}`, nil, true},
		{"update, spaces", "{ \"ZipFile\" :\n \"" + zip + "\" , \"Publish\":false }", nil, true},
		{"create", `{"FunctionName":"f","Code":{"ZipFile":"` + zip + `"},"Tags":{"a":"b"}}`, []string{"Code"}, true},
		{"create, nested arrays", `{"Architectures":["x86_64"],"Environment":{"Variables":{"ZipFile":"x"}},"Code":{"S3Key":"","ZipFile":"` + zip + `"}}`, []string{"Code"}, true},
		{"empty", `{"ZipFile":""}`, nil, true},
		{"other case", `{"zipfile":"` + zip + `"}`, nil, false},
		{"twice", `{"ZipFile":"` + zip + `","ZipFile":"QUJD"}`, nil, false},
		{"other case beside", `{"ZipFile":"` + zip + `","ZIPFILE":"QUJD"}`, nil, false},
		{"escaped name", `{"Zip\u0046ile":"` + zip + `"}`, nil, false},
		{"escaped value", `{"ZipFile":"QU\/D"}`, nil, false},
		{"line break", "{\"ZipFile\":\"QUJD\nRA==\"}", nil, false},
		{"not base64", `{"ZipFile":"Q*JD"}`, nil, false},
		{"not a string", `{"ZipFile":[1,2]}`, nil, false},
		{"Code twice", `{"Code":{"ZipFile":"` + zip + `"},"code":{"ZipFile":"QUJD"}}`, []string{"Code"}, false},
		{"in a string", `{"Description":"\"ZipFile\":\"QUJD\"","ZipFile":"` + zip + `"}`, nil, true},
		{"not an object", `["ZipFile","QUJD"]`, nil, false},
		{"truncated", `{"ZipFile":"QUJD`, nil, false},
		{"trailing garbage", `{"ZipFile":"QUJD"} x`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, ok := cutZipFile([]byte(tt.body), tt.path...)
			if ok != tt.cut {
				t.Errorf("cutZipFile took it: %v, want %v", ok, tt.cut)
			}
			decodeBoth(t, []byte(tt.body))
		})
	}
}

func FuzzCutZipFile(f *testing.F) {
	for _, s := range []string{
		`{"FunctionName":"f","ZipFile":"UEsDBA==","Publish":true}`,
		`{"Code":{"ZipFile":"UEsDBA=="},"Tags":{"ZipFile":"x"}}`,
		`{"Code":{"ZipFile":"UEsDBA=="},"code":null}`,
		`{"ZipFile":"UEsDBA==","zipFile":"QUJD"}`,
		`{"a":[{"b":"\\\""}],"ZipFile":"QUJD"}`,
		`{"ZipFile":"QUJD" , "ZipFile" : "QUJD"}`,
		`{"Zip\u0046ile":"QUJD"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		if strings.Count(body, "[")+strings.Count(body, "{") > 1000 {
			return
		}
		decodeBoth(t, []byte(body))
	})
}

// BenchmarkCodeBody decodes an UpdateFunctionCode body carrying an 8 MB
// package: by encoding/json alone, and as the emulator does.
func BenchmarkCodeBody(b *testing.B) {
	pkg := make([]byte, 8<<20)
	for i := range pkg {
		pkg[i] = byte(i * 7)
	}
	body, err := json.Marshal(map[string]any{"FunctionName": "f", "ZipFile": pkg, "Publish": false})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var in updateCodeInput
			if err := json.Unmarshal(body, &in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cut", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var in updateCodeInput
			if err := decodeCut(body, &in, func(z []byte) { in.ZipFile = z }); err != nil {
				b.Fatal(err)
			}
		}
	})
}
