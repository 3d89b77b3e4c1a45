package emulator_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-cmp/cmp"
	"github.com/lambctl/lamb/emulator/emulatortest"
)

func TestLifecycle(t *testing.T) {
	t.Parallel()
	k := emulatortest.New(t)
	ctx := context.Background()
	zip1, zip2 := bootstrapZip(t, "v1"), bootstrapZip(t, "v2")

	created, err := k.Lambda.CreateFunction(ctx, func() *lambda.CreateFunctionInput {
		in := newCreateInput("orders-api", zip1)
		in.Tags = map[string]string{"team": "orders"}
		in.Environment = &types.Environment{Variables: map[string]string{"TABLE": "orders"}}
		return in
	}())
	if err != nil {
		t.Fatal(err)
	}
	if created.State != types.StatePending || created.StateReasonCode != types.StateReasonCodeCreating || created.LastUpdateStatus != "" {
		t.Errorf("after create: State %q reason %q LastUpdateStatus %q, want Pending/Creating/none", created.State, created.StateReasonCode, created.LastUpdateStatus)
	}
	if got, want := aws.ToString(created.CodeSha256), sha(zip1); got != want {
		t.Errorf("CodeSha256 = %s, want %s", got, want)
	}
	if created.CodeSize != int64(len(zip1)) {
		t.Errorf("CodeSize = %d, want %d", created.CodeSize, len(zip1))
	}
	if got, want := aws.ToString(created.FunctionArn), "arn:aws:lambda:us-east-1:123456789012:function:orders-api"; got != want {
		t.Errorf("FunctionArn = %s, want %s", got, want)
	}
	k.WaitActive(t, "orders-api")

	got, err := k.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders-api")})
	if err != nil {
		t.Fatal(err)
	}
	cfg := got.Configuration
	if cfg.State != types.StateActive || cfg.LastUpdateStatus != types.LastUpdateStatusSuccessful {
		t.Errorf("active function: State %q LastUpdateStatus %q", cfg.State, cfg.LastUpdateStatus)
	}
	if aws.ToString(cfg.RevisionId) == aws.ToString(created.RevisionId) {
		t.Error("RevisionId did not change on Pending->Active")
	}
	if diff := cmp.Diff(map[string]string{"team": "orders"}, got.Tags); diff != "" {
		t.Errorf("Tags (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"TABLE": "orders"}, cfg.Environment.Variables); diff != "" {
		t.Errorf("Environment (-want +got):\n%s", diff)
	}
	if *cfg.MemorySize != 128 || *cfg.Timeout != 3 || cfg.Architectures[0] != types.ArchitectureArm64 || cfg.Version == nil || *cfg.Version != "$LATEST" {
		t.Errorf("defaults: memory %d timeout %d arch %v version %v", *cfg.MemorySize, *cfg.Timeout, cfg.Architectures, aws.ToString(cfg.Version))
	}
	// Code.Location serves the zip.
	resp, err := http.Get(aws.ToString(got.Code.Location))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET Code.Location: %v %v", err, resp)
	}
	resp.Body.Close()

	// Publish, then publish again without a change: the same version.
	v1, err := k.Lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("orders-api"), CodeSha256: aws.String(sha(zip1))})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(v1.Version) != "1" || aws.ToString(v1.FunctionArn) != "arn:aws:lambda:us-east-1:123456789012:function:orders-api:1" {
		t.Errorf("first publish: version %s arn %s", aws.ToString(v1.Version), aws.ToString(v1.FunctionArn))
	}
	again, err := k.Lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("orders-api")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(again.Version) != "1" {
		t.Errorf("publish without change gave version %s, want 1", aws.ToString(again.Version))
	}

	// Update the code: InProgress, then Successful.
	up, err := k.Lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("orders-api"), ZipFile: zip2})
	if err != nil {
		t.Fatal(err)
	}
	if up.LastUpdateStatus != types.LastUpdateStatusInProgress || up.State != types.StateActive {
		t.Errorf("after update: State %q LastUpdateStatus %q", up.State, up.LastUpdateStatus)
	}
	if aws.ToString(up.CodeSha256) != sha(zip2) {
		t.Errorf("update CodeSha256 = %s", aws.ToString(up.CodeSha256))
	}
	if err := k.WaitUpdated(t, "orders-api"); err != nil {
		t.Fatal(err)
	}
	v2, err := k.Lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("orders-api"), Description: aws.String("second")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(v2.Version) != "2" || aws.ToString(v2.CodeSha256) != sha(zip2) {
		t.Errorf("second publish: version %s sha %s", aws.ToString(v2.Version), aws.ToString(v2.CodeSha256))
	}

	// A configuration change is a change too.
	if _, err := k.Lambda.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("orders-api"), MemorySize: aws.Int32(512)}); err != nil {
		t.Fatal(err)
	}
	if err := k.WaitUpdated(t, "orders-api"); err != nil {
		t.Fatal(err)
	}
	v3, err := k.Lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("orders-api")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(v3.Version) != "3" || aws.ToInt32(v3.MemorySize) != 512 {
		t.Errorf("third publish: version %s memory %d", aws.ToString(v3.Version), aws.ToInt32(v3.MemorySize))
	}

	// Aliases.
	a, err := k.Lambda.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("orders-api"), Name: aws.String("live"), FunctionVersion: aws.String("2")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(a.AliasArn) != "arn:aws:lambda:us-east-1:123456789012:function:orders-api:live" {
		t.Errorf("AliasArn = %s", aws.ToString(a.AliasArn))
	}
	ua, err := k.Lambda.UpdateAlias(ctx, &lambda.UpdateAliasInput{
		FunctionName: aws.String("orders-api"), Name: aws.String("live"), FunctionVersion: aws.String("3"),
		RevisionId:    a.RevisionId,
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.25}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(ua.RevisionId) == aws.ToString(a.RevisionId) {
		t.Error("UpdateAlias kept the alias RevisionId")
	}
	ga, err := k.Lambda.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("orders-api"), Name: aws.String("live")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(ga.FunctionVersion) != "3" || ga.RoutingConfig.AdditionalVersionWeights["2"] != 0.25 {
		t.Errorf("GetAlias: version %s routing %v", aws.ToString(ga.FunctionVersion), ga.RoutingConfig)
	}
	// GetFunction through the alias gives the alias's version.
	viaAlias, err := k.Lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("orders-api:live")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(viaAlias.Version) != "3" || aws.ToString(viaAlias.FunctionArn) != "arn:aws:lambda:us-east-1:123456789012:function:orders-api:live" {
		t.Errorf("via alias: version %s arn %s", aws.ToString(viaAlias.Version), aws.ToString(viaAlias.FunctionArn))
	}
	la, err := k.Lambda.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: aws.String("orders-api")})
	if err != nil {
		t.Fatal(err)
	}
	if len(la.Aliases) != 1 || aws.ToString(la.Aliases[0].Name) != "live" {
		t.Errorf("ListAliases = %+v", la.Aliases)
	}

	// Versions list: $LATEST first, without State.
	lv, err := k.Lambda.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("orders-api")})
	if err != nil {
		t.Fatal(err)
	}
	var versions []string
	for _, v := range lv.Versions {
		versions = append(versions, aws.ToString(v.Version))
		if v.State != "" || v.LastUpdateStatus != "" {
			t.Errorf("version %s lists State %q LastUpdateStatus %q", aws.ToString(v.Version), v.State, v.LastUpdateStatus)
		}
	}
	if diff := cmp.Diff([]string{"$LATEST", "1", "2", "3"}, versions); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}

	// Deleting a version an alias uses (as primary or in routing) is refused.
	for _, v := range []string{"2", "3"} {
		_, err = k.Lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("orders-api"), Qualifier: aws.String(v)})
		var rce *types.ResourceConflictException
		if !errors.As(err, &rce) {
			t.Errorf("delete version %s used by alias: %v, want ResourceConflictException", v, err)
		}
	}
	if _, err := k.Lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("orders-api"), Qualifier: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	_, err = k.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders-api"), Qualifier: aws.String("1")})
	if code, msg := apiErr(t, err); code != "ResourceNotFoundException" || msg != "Function not found: arn:aws:lambda:us-east-1:123456789012:function:orders-api:1" {
		t.Errorf("deleted version: %s %q", code, msg)
	}
	if _, err := k.Lambda.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: aws.String("orders-api"), Name: aws.String("live")}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Lambda.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("orders-api")}); err != nil {
		t.Fatal(err)
	}
	_, err = k.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders-api")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || aws.ToString(nf.Message) != "Function not found: arn:aws:lambda:us-east-1:123456789012:function:orders-api" {
		t.Errorf("after delete: %v", err)
	}
}

func TestFunctionNameForms(t *testing.T) {
	t.Parallel()
	k := emulatortest.New(t)
	create(t, k, "fn", bootstrapZip(t, "x"))
	if _, err := k.Lambda.PublishVersion(context.Background(), &lambda.PublishVersionInput{FunctionName: aws.String("fn")}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, in, qualifier, wantVersion string
	}{
		{"bare", "fn", "", "$LATEST"},
		{"full arn", "arn:aws:lambda:us-east-1:123456789012:function:fn", "", "$LATEST"},
		{"partial arn", "123456789012:function:fn", "", "$LATEST"},
		{"name and version", "fn:1", "", "1"},
		{"qualified arn", "arn:aws:lambda:us-east-1:123456789012:function:fn:1", "", "1"},
		{"qualifier param", "fn", "1", "1"},
		{"latest param", "fn", "$LATEST", "$LATEST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(tt.in)}
			if tt.qualifier != "" {
				in.Qualifier = aws.String(tt.qualifier)
			}
			out, err := k.Lambda.GetFunctionConfiguration(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(out.Version); got != tt.wantVersion {
				t.Errorf("Version = %s, want %s", got, tt.wantVersion)
			}
		})
	}
	// Raw percent-encoded path parameters decode.
	resp, err := http.Get(k.URL + "/2015-03-31/functions/" + url.PathEscape("arn:aws:lambda:us-east-1:123456789012:function:fn") + "/configuration?Qualifier=%24LATEST")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("x-amzn-RequestId") == "" {
		t.Errorf("encoded ARN: status %d, request id %q", resp.StatusCode, resp.Header.Get("x-amzn-RequestId"))
	}
}

func TestPagination(t *testing.T) {
	t.Parallel()
	k := emulatortest.New(t)
	ctx := context.Background()
	zip := bootstrapZip(t, "x")
	var want []string
	for i := range 57 {
		name := fmt.Sprintf("f%03d", i)
		want = append(want, name)
		if _, err := k.Lambda.CreateFunction(ctx, newCreateInput(name, zip)); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	pages := 0
	p := lambda.NewListFunctionsPaginator(k.Lambda, &lambda.ListFunctionsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, f := range out.Functions {
			got = append(got, aws.ToString(f.FunctionName))
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListFunctions (-want +got):\n%s", diff)
	}
	if pages != 2 {
		t.Errorf("pages = %d, want 2 (50 a page)", pages)
	}

	// 55 versions of one function: two pages of ListVersionsByFunction.
	k.WaitActive(t, "f000")
	wantV := []string{"$LATEST"}
	for i := range 55 {
		out, err := k.Lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("f000"), ZipFile: bootstrapZip(t, fmt.Sprint(i)), Publish: true})
		if err != nil {
			t.Fatal(err)
		}
		wantV = append(wantV, aws.ToString(out.Version))
		if err := k.WaitUpdated(t, "f000"); err != nil {
			t.Fatal(err)
		}
	}
	var gotV []string
	vp := lambda.NewListVersionsByFunctionPaginator(k.Lambda, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String("f000")})
	for vp.HasMorePages() {
		out, err := vp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Versions) > 50 {
			t.Errorf("page of %d versions", len(out.Versions))
		}
		for _, v := range out.Versions {
			gotV = append(gotV, aws.ToString(v.Version))
		}
	}
	if diff := cmp.Diff(wantV, gotV); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
	if wantV[55] != "55" {
		t.Errorf("last version %s, want 55", wantV[55])
	}
}

func TestListAliases(t *testing.T) {
	t.Parallel()
	k := emulatortest.New(t)
	ctx := context.Background()
	create(t, k, "fn", bootstrapZip(t, "x"))
	if _, err := k.Lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fn")}); err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 53 {
		name := fmt.Sprintf("a%02d", i)
		v := "1"
		if i%2 == 1 {
			v = "$LATEST"
		} else {
			want = append(want, name)
		}
		if _, err := k.Lambda.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String(name), FunctionVersion: aws.String(v)}); err != nil {
			t.Fatal(err)
		}
	}
	var all, onV1 []string
	p := lambda.NewListAliasesPaginator(k.Lambda, &lambda.ListAliasesInput{FunctionName: aws.String("fn")})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range out.Aliases {
			all = append(all, aws.ToString(a.Name))
		}
	}
	if len(all) != 53 || all[0] != "a00" || all[52] != "a52" {
		t.Errorf("ListAliases: %d aliases, first %v", len(all), all[:min(3, len(all))])
	}
	out, err := k.Lambda.ListAliases(ctx, &lambda.ListAliasesInput{FunctionName: aws.String("fn"), FunctionVersion: aws.String("1")})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range out.Aliases {
		onV1 = append(onV1, aws.ToString(a.Name))
	}
	if diff := cmp.Diff(want, onV1); diff != "" {
		t.Errorf("aliases on version 1 (-want +got):\n%s", diff)
	}
}
