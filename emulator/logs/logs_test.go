package logs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/lambctl/lamb/emulator/awsjson"
	"github.com/lambctl/lamb/emulator/awsjson/awstest"
)

var t0 = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

func start(t *testing.T, opts Options) (*Store, *cwl.Client, string) {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.now = func() time.Time { return t0.Add(time.Hour) }
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c := cwl.NewFromConfig(awstest.Config(), func(o *cwl.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.RetryMaxAttempts = 1
	})
	return s, c, srv.URL
}

// lines makes events one second apart from t0+offset.
func lines(offset time.Duration, msgs ...string) []Event {
	evs := make([]Event, len(msgs))
	for i, m := range msgs {
		evs[i] = Event{Time: t0.Add(offset + time.Duration(i)*time.Second), Message: m}
	}
	return evs
}

func ms(d time.Duration) int64 { return t0.Add(d).UnixMilli() }

const (
	grp = "/aws/lambda/orders"
	s1  = "2025/03/04/[$LATEST]aaaa"
	s2  = "2025/03/04/[1]bbbb"
)

// seed appends two interleaved streams: s1 at 0,2,4 s; s2 at 1,3 s (out
// of order, to exercise insertion).
func seed(s *Store) {
	s.Append(grp, s1, []Event{
		{Time: t0, Message: "START RequestId: r1"},
		{Time: t0.Add(2 * time.Second), Message: "ERROR boom r1"},
		{Time: t0.Add(4 * time.Second), Message: "END RequestId: r1"},
	})
	s.Append(grp, s2, []Event{
		{Time: t0.Add(3 * time.Second), Message: "WARN slow r2"},
		{Time: t0.Add(1 * time.Second), Message: "START RequestId: r2"},
	})
}

func messages[T any](evs []T, msg func(T) string) []string {
	var out []string
	for _, e := range evs {
		out = append(out, msg(e))
	}
	return out
}

func filteredMsg(e types.FilteredLogEvent) string { return aws.ToString(e.Message) }

func TestFilterLogEvents(t *testing.T) {
	t.Parallel()
	s, c, _ := start(t, Options{})
	seed(s)
	tests := []struct {
		name string
		in   cwl.FilterLogEventsInput
		want []string
	}{
		{"all, interleaved by time", cwl.FilterLogEventsInput{},
			[]string{"START RequestId: r1", "START RequestId: r2", "ERROR boom r1", "WARN slow r2", "END RequestId: r1"}},
		{"term", cwl.FilterLogEventsInput{FilterPattern: aws.String("ERROR")}, []string{"ERROR boom r1"}},
		{"phrase", cwl.FilterLogEventsInput{FilterPattern: aws.String(`"RequestId: r2"`)}, []string{"START RequestId: r2"}},
		{"or", cwl.FilterLogEventsInput{FilterPattern: aws.String("?ERROR ?WARN")}, []string{"ERROR boom r1", "WARN slow r2"}},
		{"exclude", cwl.FilterLogEventsInput{FilterPattern: aws.String("RequestId -r1")}, []string{"START RequestId: r2"}},
		{"stream names", cwl.FilterLogEventsInput{LogStreamNames: []string{s2}}, []string{"START RequestId: r2", "WARN slow r2"}},
		{"stream prefix", cwl.FilterLogEventsInput{LogStreamNamePrefix: aws.String("2025/03/04/[$LATEST]")},
			[]string{"START RequestId: r1", "ERROR boom r1", "END RequestId: r1"}},
		{"time range, both ends inclusive", cwl.FilterLogEventsInput{StartTime: aws.Int64(ms(time.Second)), EndTime: aws.Int64(ms(3 * time.Second))},
			[]string{"START RequestId: r2", "ERROR boom r1", "WARN slow r2"}},
		{"newest first", cwl.FilterLogEventsInput{StartFromHead: aws.Bool(false), FilterPattern: aws.String("RequestId")},
			[]string{"END RequestId: r1", "START RequestId: r2", "START RequestId: r1"}},
		{"by ARN", cwl.FilterLogEventsInput{LogGroupName: nil, LogGroupIdentifier: aws.String("arn:aws:logs:us-east-1:123456789012:log-group:" + grp + ":*"), FilterPattern: aws.String("END")},
			[]string{"END RequestId: r1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := tt.in
			if in.LogGroupIdentifier == nil {
				in.LogGroupName = aws.String(grp)
			}
			out, err := c.FilterLogEvents(context.Background(), &in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, messages(out.Events, filteredMsg)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if out.NextToken != nil {
				t.Errorf("NextToken %q on the only page", *out.NextToken)
			}
		})
	}

	out, err := c.FilterLogEvents(context.Background(), &cwl.FilterLogEventsInput{LogGroupName: aws.String(grp), FilterPattern: aws.String("ERROR")})
	if err != nil {
		t.Fatal(err)
	}
	e := out.Events[0]
	want := types.FilteredLogEvent{EventId: e.EventId, IngestionTime: aws.Int64(ms(time.Hour)), LogStreamName: aws.String(s1), Message: aws.String("ERROR boom r1"), Timestamp: aws.Int64(ms(2 * time.Second))}
	if diff := cmp.Diff(want, e, cmp.AllowUnexported(types.FilteredLogEvent{})); diff != "" || len(aws.ToString(e.EventId)) != 56 {
		t.Errorf("event (-want +got):\n%s (id %q)", diff, aws.ToString(e.EventId))
	}
}

func TestFilterLogEventsPaging(t *testing.T) {
	t.Parallel()
	s, c, _ := start(t, Options{})
	var want []string
	for i := range 23 {
		m := fmt.Sprintf("line %02d", i)
		s.Append(grp, fmt.Sprintf("stream-%d", i%3), []Event{{Time: t0.Add(time.Duration(i) * time.Millisecond), Message: m}})
		want = append(want, m)
	}
	for _, head := range []bool{true, false} {
		t.Run(fmt.Sprint("startFromHead=", head), func(t *testing.T) {
			t.Parallel()
			var got []string
			pages := 0
			p := cwl.NewFilterLogEventsPaginator(c, &cwl.FilterLogEventsInput{LogGroupName: aws.String(grp), Limit: aws.Int32(5), StartFromHead: aws.Bool(head)})
			for p.HasMorePages() {
				page, err := p.NextPage(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				pages++
				got = append(got, messages(page.Events, filteredMsg)...)
			}
			w := append([]string(nil), want...)
			if !head {
				for i, j := 0, len(w)-1; i < j; i, j = i+1, j-1 {
					w[i], w[j] = w[j], w[i]
				}
			}
			if diff := cmp.Diff(w, got); diff != "" || pages != 5 {
				t.Errorf("%d pages (-want +got):\n%s", pages, diff)
			}
		})
	}
}

func TestGetLogEvents(t *testing.T) {
	t.Parallel()
	s, c, _ := start(t, Options{})
	var all []string
	for i := range 7 {
		m := fmt.Sprintf("m%d", i)
		all = append(all, m)
		s.Append(grp, s1, []Event{{Time: t0.Add(time.Duration(i) * time.Second), Message: m}})
	}
	s.Append(grp, s2, lines(0, "other stream"))
	ctx := context.Background()
	outMsg := func(e types.OutputLogEvent) string { return aws.ToString(e.Message) }

	// Default: the latest events, oldest first.
	out, err := c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String(grp), LogStreamName: aws.String(s1), Limit: aws.Int32(3)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(all[4:], messages(out.Events, outMsg)); diff != "" {
		t.Errorf("latest (-want +got):\n%s", diff)
	}
	// Backwards from there.
	back, err := c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String(grp), LogStreamName: aws.String(s1), Limit: aws.Int32(3), NextToken: out.NextBackwardToken})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(all[1:4], messages(back.Events, outMsg)); diff != "" {
		t.Errorf("backwards (-want +got):\n%s", diff)
	}

	// From the head with the SDK's paginator, which stops when the forward
	// token comes back unchanged.
	var got []string
	p := cwl.NewGetLogEventsPaginator(c, &cwl.GetLogEventsInput{LogGroupName: aws.String(grp), LogStreamName: aws.String(s1), StartFromHead: aws.Bool(true)}, func(o *cwl.GetLogEventsPaginatorOptions) {
		o.Limit = 3
		o.StopOnDuplicateToken = true
	})
	for pages := 0; p.HasMorePages(); pages++ {
		if pages > 10 {
			t.Fatal("the paginator does not stop")
		}
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, messages(page.Events, outMsg)...)
	}
	if diff := cmp.Diff(all, got); diff != "" {
		t.Errorf("paginated (-want +got):\n%s", diff)
	}

	// endTime is exclusive here.
	out, err = c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String(grp), LogStreamName: aws.String(s1), StartTime: aws.Int64(ms(time.Second)), EndTime: aws.Int64(ms(3 * time.Second)), StartFromHead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"m1", "m2"}, messages(out.Events, outMsg)); diff != "" {
		t.Errorf("time range (-want +got):\n%s", diff)
	}
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	s, c, _ := start(t, Options{})
	ctx := context.Background()
	s.Append(grp, "b", lines(5*time.Second, "x"))
	s.Append(grp, "a", lines(9*time.Second, "y", "z"))
	s.Append(grp, "c", lines(1*time.Second, "w"))
	s.Append("/aws/lambda/users", "u", lines(0, "u"))
	s.Append("/custom/group", "u", lines(0, "u"))

	names := func(in cwl.DescribeLogStreamsInput) []string {
		t.Helper()
		in.LogGroupName = aws.String(grp)
		var out []string
		p := cwl.NewDescribeLogStreamsPaginator(c, &in, func(o *cwl.DescribeLogStreamsPaginatorOptions) { o.Limit = 2 })
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, ls := range page.LogStreams {
				out = append(out, aws.ToString(ls.LogStreamName))
			}
		}
		return out
	}
	for _, tt := range []struct {
		name string
		in   cwl.DescribeLogStreamsInput
		want []string
	}{
		{"by name", cwl.DescribeLogStreamsInput{}, []string{"a", "b", "c"}},
		{"by name descending", cwl.DescribeLogStreamsInput{Descending: aws.Bool(true)}, []string{"c", "b", "a"}},
		{"by last event, newest first", cwl.DescribeLogStreamsInput{OrderBy: types.OrderByLastEventTime, Descending: aws.Bool(true)}, []string{"a", "b", "c"}},
		{"prefix", cwl.DescribeLogStreamsInput{LogStreamNamePrefix: aws.String("b")}, []string{"b"}},
	} {
		if diff := cmp.Diff(tt.want, names(tt.in)); diff != "" {
			t.Errorf("DescribeLogStreams %s (-want +got):\n%s", tt.name, diff)
		}
	}
	one, err := c.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{LogGroupName: aws.String(grp), LogStreamNamePrefix: aws.String("a")})
	if err != nil {
		t.Fatal(err)
	}
	want := types.LogStream{
		Arn: aws.String("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/orders:log-stream:a"), CreationTime: aws.Int64(ms(time.Hour)),
		FirstEventTimestamp: aws.Int64(ms(9 * time.Second)), LastEventTimestamp: aws.Int64(ms(10 * time.Second)), LastIngestionTime: aws.Int64(ms(time.Hour)),
		LogStreamName: aws.String("a"),
	}
	// storedBytes of streams is deprecated (always 0 on AWS).
	if diff := cmp.Diff([]types.LogStream{want}, one.LogStreams, cmp.AllowUnexported(types.LogStream{}), cmpopts.IgnoreFields(types.LogStream{}, "StoredBytes")); diff != "" {
		t.Errorf("LogStream (-want +got):\n%s", diff)
	}
	_, err = c.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{LogGroupName: aws.String(grp), OrderBy: types.OrderByLastEventTime, LogStreamNamePrefix: aws.String("a")})
	var inv *types.InvalidParameterException
	if !errors.As(err, &inv) {
		t.Errorf("orderBy LastEventTime with a prefix: %v", err)
	}

	var groups []string
	p := cwl.NewDescribeLogGroupsPaginator(c, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/aws/lambda/")}, func(o *cwl.DescribeLogGroupsPaginatorOptions) { o.Limit = 1 })
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range page.LogGroups {
			groups = append(groups, aws.ToString(g.LogGroupName))
			if aws.ToString(g.Arn) != "arn:aws:logs:us-east-1:123456789012:log-group:"+aws.ToString(g.LogGroupName)+":*" || aws.ToString(g.LogGroupArn)+":*" != aws.ToString(g.Arn) {
				t.Errorf("ARNs %s %s", aws.ToString(g.Arn), aws.ToString(g.LogGroupArn))
			}
		}
	}
	if diff := cmp.Diff([]string{"/aws/lambda/orders", "/aws/lambda/users"}, groups); diff != "" {
		t.Errorf("DescribeLogGroups (-want +got):\n%s", diff)
	}
	pat, err := c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePattern: aws.String("custom")})
	if err != nil || len(pat.LogGroups) != 1 || pat.LogGroups[0].LogGroupArn != nil {
		t.Errorf("DescribeLogGroups with a pattern = %+v, %v", pat, err)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	s, c, url := start(t, Options{})
	ctx := context.Background()
	s.Append(grp, s1, lines(0, "x"))
	isNotFound := func(err error) bool { var e *types.ResourceNotFoundException; return errors.As(err, &e) }
	isInvalid := func(err error) bool { var e *types.InvalidParameterException; return errors.As(err, &e) }
	tests := []struct {
		name string
		call func() error
		is   func(error) bool
		msg  string
	}{
		{"missing group", func() error {
			_, err := c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String("/aws/lambda/none")})
			return err
		}, isNotFound, "The specified log group does not exist."},
		{"missing stream", func() error {
			_, err := c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String(grp), LogStreamName: aws.String("none")})
			return err
		}, isNotFound, "The specified log stream does not exist."},
		{"JSON pattern", func() error {
			_, err := c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String(grp), FilterPattern: aws.String(`{ $.level = "ERROR" }`)})
			return err
		}, isInvalid, "JSON filter patterns"},
		{"names and prefix", func() error {
			_, err := c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String(grp), LogStreamNames: []string{"a"}, LogStreamNamePrefix: aws.String("a")})
			return err
		}, isInvalid, "mutually exclusive"},
		{"name and identifier", func() error {
			_, err := c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String(grp), LogGroupIdentifier: aws.String(grp)})
			return err
		}, isInvalid, "mutually exclusive"},
		{"bad token", func() error {
			_, err := c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String(grp), NextToken: aws.String("nope")})
			return err
		}, isInvalid, "nextToken is invalid"},
		{"bad GetLogEvents token", func() error {
			_, err := c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String(grp), LogStreamName: aws.String(s1), NextToken: aws.String("f/12")})
			return err
		}, isInvalid, "nextToken is invalid"},
		{"limit", func() error {
			_, err := c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String(grp), Limit: aws.Int32(10001)})
			return err
		}, isInvalid, "between 1 and 10000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.call()
			if !tt.is(err) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %v, want one with %q", err, tt.msg)
			}
		})
	}

	// StartLiveTail is refused with a reason (raw call: the SDK sends it
	// to a "stream-" host).
	req, _ := http.NewRequest("POST", url+"/", strings.NewReader(`{"logGroupIdentifiers":["`+grp+`"]}`))
	req.Header.Set("X-Amz-Target", Target+".StartLiveTail")
	req.Header.Set("Content-Type", awsjson.ContentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != 400 || body["__type"] != "InvalidOperationException" || !strings.Contains(body["message"], "poll FilterLogEvents") {
		t.Errorf("StartLiveTail answered %d %v", resp.StatusCode, body)
	}
}

func TestBoundedMemory(t *testing.T) {
	t.Parallel()
	s, c, _ := start(t, Options{MaxEventsPerGroup: 4, MaxBytesPerGroup: 1 << 20})
	s.Append(grp, "old", lines(0, "o1", "o2"))
	s.Append(grp, "new", lines(10*time.Second, "n1", "n2", "n3"))
	out, err := c.FilterLogEvents(context.Background(), &cwl.FilterLogEventsInput{LogGroupName: aws.String(grp)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"o2", "n1", "n2", "n3"}, messages(out.Events, filteredMsg)); diff != "" {
		t.Errorf("events kept (-want +got):\n%s", diff)
	}
	s.Append(grp, "new", lines(20*time.Second, "n4"))
	streams, err := c.DescribeLogStreams(context.Background(), &cwl.DescribeLogStreamsInput{LogGroupName: aws.String(grp)})
	if err != nil || len(streams.LogStreams) != 1 || aws.ToString(streams.LogStreams[0].LogStreamName) != "new" {
		t.Errorf("streams after the old one's events were dropped: %+v, %v", streams, err)
	}

	// The byte bound.
	b, bc, _ := start(t, Options{MaxBytesPerGroup: 3 * (1000 + 26)})
	for i := range 5 {
		b.Append(grp, "s", []Event{{Time: t0.Add(time.Duration(i)), Message: fmt.Sprint(i, strings.Repeat("x", 999))}})
	}
	out, err = bc.FilterLogEvents(context.Background(), &cwl.FilterLogEventsInput{LogGroupName: aws.String(grp)})
	if err != nil {
		t.Fatal(err)
	}
	var firsts []string
	for _, m := range messages(out.Events, filteredMsg) {
		firsts = append(firsts, m[:1])
	}
	if diff := cmp.Diff([]string{"2", "3", "4"}, firsts); diff != "" {
		t.Errorf("events kept under the byte bound (-want +got):\n%s", diff)
	}
	// A huge message is cut at a character boundary.
	big, bigc, _ := start(t, Options{})
	big.Append(grp, "s", []Event{{Message: strings.Repeat("é", MaxEventSize)}})
	out, err = bigc.FilterLogEvents(context.Background(), &cwl.FilterLogEventsInput{LogGroupName: aws.String(grp)})
	if err != nil || len(out.Events) != 1 {
		t.Fatalf("FilterLogEvents = %+v, %v", out, err)
	}
	if m := aws.ToString(out.Events[0].Message); len(m) > MaxEventSize || len(m) < MaxEventSize-1 || !strings.HasSuffix(m, "é") {
		t.Errorf("a huge message kept %d bytes", len(m))
	}
}

func TestPersistence(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := New(Options{StateDir: dir, FlushDelay: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	seed(s)
	// The delayed write happens by itself.
	path := filepath.Join(dir, StateFile)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the state file was not written after an Append")
		}
		time.Sleep(5 * time.Millisecond) // polling, not synchronisation
	}
	s.Append(grp, s2, lines(30*time.Second, "after the first write"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file %v, %v", fi, err)
	}

	s2store, c, _ := start(t, Options{StateDir: dir})
	out, err := c.FilterLogEvents(context.Background(), &cwl.FilterLogEventsInput{LogGroupName: aws.String(grp)})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"START RequestId: r1", "START RequestId: r2", "ERROR boom r1", "WARN slow r2", "END RequestId: r1", "after the first write"}
	if diff := cmp.Diff(want, messages(out.Events, filteredMsg)); diff != "" {
		t.Errorf("after restart (-want +got):\n%s", diff)
	}
	// Sequence numbers go on from where they were: a new event sorts last.
	s2store.Append(grp, s1, lines(30*time.Second, "newer"))
	out, _ = c.FilterLogEvents(context.Background(), &cwl.FilterLogEventsInput{LogGroupName: aws.String(grp), FilterPattern: aws.String("?after ?newer")})
	if diff := cmp.Diff([]string{"after the first write", "newer"}, messages(out.Events, filteredMsg)); diff != "" {
		t.Errorf("order after restart (-want +got):\n%s", diff)
	}
}

var streamRE = regexp.MustCompile(`^2025/03/04/\[\$LATEST\][0-9a-f]{32}$`)

func TestNames(t *testing.T) {
	t.Parallel()
	if got := GroupName("orders"); got != "/aws/lambda/orders" {
		t.Errorf("GroupName = %q", got)
	}
	a, b := StreamName(t0.In(time.FixedZone("x", -10*3600)), "$LATEST"), StreamName(t0, "$LATEST")
	if !streamRE.MatchString(a) || a == b {
		t.Errorf("StreamName = %q, %q", a, b)
	}
	if got := StreamName(t0, "3"); !strings.HasPrefix(got, "2025/03/04/[3]") {
		t.Errorf("StreamName of a version = %q", got)
	}
}

func TestAWSCLI(t *testing.T) {
	t.Parallel()
	s, _, url := start(t, Options{})
	seed(s)
	stdout, stderr, err := awstest.CLI(t, url, "logs", "filter-log-events", "--log-group-name", grp, "--filter-pattern", "?ERROR ?WARN")
	if err != nil {
		t.Fatalf("aws logs filter-log-events: %v\n%s", err, stderr)
	}
	var out struct {
		Events []struct {
			LogStreamName, Message string
			Timestamp              int64
		}
	}
	if err := json.Unmarshal(stdout, &out); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	got := messages(out.Events, func(e struct {
		LogStreamName, Message string
		Timestamp              int64
	}) string {
		return fmt.Sprintf("%s %d %s", e.LogStreamName, e.Timestamp, e.Message)
	})
	want := []string{fmt.Sprintf("%s %d ERROR boom r1", s1, ms(2*time.Second)), fmt.Sprintf("%s %d WARN slow r2", s2, ms(3*time.Second))}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The CLI pages by itself with --page-size.
	stdout, stderr, err = awstest.CLI(t, url, "logs", "filter-log-events", "--log-group-name", grp, "--page-size", "2")
	if err != nil || strings.Count(string(stdout), `"eventId"`) != 5 {
		t.Errorf("paged filter-log-events: %v\n%s%s", err, stdout, stderr)
	}
	_, stderr, err = awstest.CLI(t, url, "logs", "filter-log-events", "--log-group-name", "/aws/lambda/none")
	if err == nil || !strings.Contains(string(stderr), "An error occurred (ResourceNotFoundException) when calling the FilterLogEvents operation: The specified log group does not exist.") {
		t.Errorf("filter-log-events of a missing group: %v\n%s", err, stderr)
	}
	stdout, stderr, err = awstest.CLI(t, url, "logs", "describe-log-streams", "--log-group-name", grp)
	if err != nil || !strings.Contains(string(stdout), s2) {
		t.Errorf("describe-log-streams: %v\n%s%s", err, stdout, stderr)
	}
}

func TestConcurrentAppendAndRead(t *testing.T) {
	t.Parallel()
	s, c, _ := start(t, Options{StateDir: t.TempDir(), FlushDelay: time.Millisecond, MaxEventsPerGroup: 300})
	const writers, each = 4, 100
	done := make(chan struct{})
	for w := range writers {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range each {
				s.Append(grp, fmt.Sprint("w", w), []Event{{Time: t0.Add(time.Duration(i) * time.Millisecond), Message: fmt.Sprint("line ", w, " ", i)}})
			}
		}()
	}
	readers := make(chan error, 1)
	// The SDK's standard retries, as in use: its HTTP client can lose a
	// reused connection under load (net.ErrClosed, "use of closed network
	// connection", aws/aws-sdk-go-v2#2737), which the standard retryer
	// retries; start's clients make one attempt.
	retry := func(o *cwl.Options) { o.RetryMaxAttempts = 3 }
	go func() {
		for range 20 {
			if _, err := c.FilterLogEvents(context.Background(), &cwl.FilterLogEventsInput{LogGroupName: aws.String(grp), FilterPattern: aws.String("line")}, retry); err != nil {
				var nf *types.ResourceNotFoundException
				if !errors.As(err, &nf) { // the group may not exist yet
					readers <- err
					return
				}
			}
		}
		readers <- nil
	}()
	for range writers {
		<-done
	}
	if err := <-readers; err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	var got []string
	last := int64(0)
	p := cwl.NewFilterLogEventsPaginator(c, &cwl.FilterLogEventsInput{LogGroupName: aws.String(grp)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			if ts := aws.ToInt64(e.Timestamp); ts < last {
				t.Fatalf("events out of order: %d after %d", ts, last)
			} else {
				last = ts
			}
		}
		got = append(got, messages(page.Events, filteredMsg)...)
	}
	if len(got) != 300 {
		t.Errorf("%d events kept, want the cap of 300", len(got))
	}
}
