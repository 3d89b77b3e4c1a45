package logs

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/lambctl/lamb/emulator/awsjson"
)

// maxResponse bounds the events of one answer, as CloudWatch Logs' 1 MB.
const maxResponse = 1 << 20

func errInvalid(format string, args ...any) error {
	return &awsjson.Error{Type: "InvalidParameterException", Message: fmt.Sprintf(format, args...)}
}

func errNoGroup() error {
	return &awsjson.Error{Type: "ResourceNotFoundException", Message: "The specified log group does not exist."}
}

func errNoStream() error {
	return &awsjson.Error{Type: "ResourceNotFoundException", Message: "The specified log stream does not exist."}
}

func errToken() error { return errInvalid("The specified nextToken is invalid.") }

// token is an opaque paging token: a kind byte and a payload.
func token(kind byte, payload string) string {
	return base64.RawURLEncoding.EncodeToString(append([]byte{kind}, payload...))
}

func parseToken(tok string, kinds string) (byte, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) == 0 || !strings.ContainsRune(kinds, rune(b[0])) {
		return 0, "", errToken()
	}
	return b[0], string(b[1:]), nil
}

// parseID reads an eventId back into its timestamp and sequence number.
func parseID(id string) (int64, uint64, error) {
	var t int64
	var seq uint64
	if len(id) != 56 {
		return 0, 0, errToken()
	}
	if _, err := fmt.Sscanf(id[:20], "%d", &t); err != nil {
		return 0, 0, errToken()
	}
	if _, err := fmt.Sscanf(id[20:], "%d", &seq); err != nil {
		return 0, 0, errToken()
	}
	return t, seq, nil
}

// findGroup resolves logGroupName or logGroupIdentifier (a name or an
// ARN, with or without ":*"). s.mu is held.
func (s *Store) findGroup(name, identifier *string) (*group, error) {
	switch {
	case name != nil && identifier != nil:
		return nil, errInvalid("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
	case name == nil && identifier == nil:
		return nil, errInvalid("Either logGroupName or logGroupIdentifier must be specified.")
	}
	n := ""
	if name != nil {
		n = *name
	} else {
		n = *identifier
		if rest, ok := strings.CutPrefix(n, "arn:"); ok {
			_, after, found := strings.Cut(rest, ":log-group:")
			if !found {
				return nil, errNoGroup()
			}
			n = strings.TrimSuffix(after, ":*")
		}
	}
	g := s.st.Groups[n]
	if g == nil {
		return nil, errNoGroup()
	}
	return g, nil
}

func limitOf(v *int, def, max int) (int, error) {
	if v == nil {
		return def, nil
	}
	if *v < 1 || *v > max {
		return 0, errInvalid("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and %d", *v, max)
	}
	return *v, nil
}

type filterLogEventsIn struct {
	LogGroupName        *string  `json:"logGroupName"`
	LogGroupIdentifier  *string  `json:"logGroupIdentifier"`
	LogStreamNames      []string `json:"logStreamNames"`
	LogStreamNamePrefix *string  `json:"logStreamNamePrefix"`
	StartTime           *int64   `json:"startTime"`
	EndTime             *int64   `json:"endTime"`
	FilterPattern       string   `json:"filterPattern"`
	NextToken           *string  `json:"nextToken"`
	Limit               *int     `json:"limit"`
	StartFromHead       *bool    `json:"startFromHead"`
}

type filteredEvent struct {
	EventID       string `json:"eventId"`
	IngestionTime int64  `json:"ingestionTime"`
	LogStreamName string `json:"logStreamName"`
	Message       string `json:"message"`
	Timestamp     int64  `json:"timestamp"`
}

type filterLogEventsOut struct {
	Events    []filteredEvent `json:"events"`
	NextToken string          `json:"nextToken,omitempty"`
}

func (s *Store) filterLogEvents(_ context.Context, in *filterLogEventsIn) (*filterLogEventsOut, error) {
	if len(in.LogStreamNames) > 0 && in.LogStreamNamePrefix != nil {
		return nil, errInvalid("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
	}
	if len(in.LogStreamNames) > 100 {
		return nil, errInvalid("1 validation error detected: Value at 'logStreamNames' failed to satisfy constraint: Member must have length less than or equal to 100")
	}
	limit, err := limitOf(in.Limit, 10000, 10000)
	if err != nil {
		return nil, err
	}
	pat, err := ParsePattern(in.FilterPattern)
	if err != nil {
		return nil, errInvalid("Invalid filter pattern: %v", err)
	}
	forward := in.StartFromHead == nil || *in.StartFromHead
	var after *event // the last event of the previous page
	if in.NextToken != nil {
		kind, id, err := parseToken(*in.NextToken, "fb")
		if err != nil {
			return nil, err
		}
		t, seq, err := parseID(id)
		if err != nil {
			return nil, err
		}
		forward, after = kind == 'f', &event{Time: t, Seq: seq}
	}
	streams := map[string]bool{}
	for _, n := range in.LogStreamNames {
		streams[n] = true
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.findGroup(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	keep := func(e *event) bool {
		switch {
		case in.StartTime != nil && e.Time < *in.StartTime,
			in.EndTime != nil && e.Time > *in.EndTime,
			len(streams) > 0 && !streams[e.Stream],
			in.LogStreamNamePrefix != nil && !strings.HasPrefix(e.Stream, *in.LogStreamNamePrefix):
			return false
		}
		return pat.Match(e.Msg)
	}
	out := &filterLogEventsOut{Events: []filteredEvent{}}
	size := 0
	var last *event
	n := len(g.Events)
	for k := range n {
		e := g.Events[k]
		if !forward {
			e = g.Events[n-1-k]
		}
		if after != nil && (forward && !after.before(e.Time, e.Seq) || !forward && !e.before(after.Time, after.Seq)) {
			continue
		}
		if !keep(e) {
			continue
		}
		if len(out.Events) == limit || size+int(e.size())+100 > maxResponse && len(out.Events) > 0 {
			kind := byte('f')
			if !forward {
				kind = 'b'
			}
			out.NextToken = token(kind, last.id())
			break
		}
		out.Events = append(out.Events, filteredEvent{EventID: e.id(), IngestionTime: e.Ingest, LogStreamName: e.Stream, Message: e.Msg, Timestamp: e.Time})
		size += int(e.size()) + 100
		last = e
	}
	return out, nil
}

type getLogEventsIn struct {
	LogGroupName       *string `json:"logGroupName"`
	LogGroupIdentifier *string `json:"logGroupIdentifier"`
	LogStreamName      string  `json:"logStreamName"`
	StartTime          *int64  `json:"startTime"`
	EndTime            *int64  `json:"endTime"`
	NextToken          *string `json:"nextToken"`
	Limit              *int    `json:"limit"`
	StartFromHead      bool    `json:"startFromHead"`
}

type outputEvent struct {
	IngestionTime int64  `json:"ingestionTime"`
	Message       string `json:"message"`
	Timestamp     int64  `json:"timestamp"`
}

type getLogEventsOut struct {
	Events            []outputEvent `json:"events"`
	NextForwardToken  string        `json:"nextForwardToken"`
	NextBackwardToken string        `json:"nextBackwardToken"`
}

// Positions of GetLogEvents tokens: "f/<eventId>" reads after the event,
// "b/<eventId>" before it.
var (
	idFirst = eventID(0, 0)
	idLast  = strings.Repeat("9", 56)
)

func (s *Store) getLogEvents(_ context.Context, in *getLogEventsIn) (*getLogEventsOut, error) {
	limit, err := limitOf(in.Limit, 10000, 10000)
	if err != nil {
		return nil, err
	}
	dir, pos := byte(0), ""
	if in.NextToken != nil {
		d, p, ok := strings.Cut(*in.NextToken, "/")
		if !ok || (d != "f" && d != "b") {
			return nil, errToken()
		}
		if p != idLast {
			if _, _, err := parseID(p); err != nil {
				return nil, err
			}
		}
		dir, pos = d[0], p
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.findGroup(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	if g.Streams[in.LogStreamName] == nil {
		return nil, errNoStream()
	}
	var evs []*event
	for _, e := range g.Events {
		if e.Stream != in.LogStreamName || in.StartTime != nil && e.Time < *in.StartTime || in.EndTime != nil && e.Time >= *in.EndTime {
			continue
		}
		switch {
		case dir == 'f' && e.id() <= pos, dir == 'b' && e.id() >= pos:
			continue
		}
		evs = append(evs, e)
	}
	fromHead := dir == 'f' || (dir == 0 && in.StartFromHead)
	if len(evs) > limit {
		if fromHead {
			evs = evs[:limit]
		} else {
			evs = evs[len(evs)-limit:]
		}
	}
	// Keep within the response size, from the end the reader starts at.
	for size, i := 0, 0; i < len(evs); i++ {
		j := i
		if !fromHead {
			j = len(evs) - 1 - i
		}
		if size += int(evs[j].size()) + 50; size > maxResponse && i > 0 {
			if fromHead {
				evs = evs[:i]
			} else {
				evs = evs[len(evs)-i:]
			}
			break
		}
	}
	out := &getLogEventsOut{Events: []outputEvent{}}
	for _, e := range evs {
		out.Events = append(out.Events, outputEvent{IngestionTime: e.Ingest, Message: e.Msg, Timestamp: e.Time})
	}
	switch {
	case len(evs) > 0:
		out.NextForwardToken = "f/" + evs[len(evs)-1].id()
		out.NextBackwardToken = "b/" + evs[0].id()
	case dir == 'f':
		// Nothing after pos: the same token again (readers stop on that);
		// backwards is everything, which is all up to pos.
		out.NextForwardToken, out.NextBackwardToken = *in.NextToken, "b/"+idLast
	case dir == 'b':
		out.NextForwardToken, out.NextBackwardToken = "f/"+idFirst, *in.NextToken
	default:
		out.NextForwardToken, out.NextBackwardToken = "f/"+idFirst, "b/"+idLast
	}
	return out, nil
}

type describeLogStreamsIn struct {
	LogGroupName        *string `json:"logGroupName"`
	LogGroupIdentifier  *string `json:"logGroupIdentifier"`
	LogStreamNamePrefix *string `json:"logStreamNamePrefix"`
	OrderBy             string  `json:"orderBy"`
	Descending          bool    `json:"descending"`
	NextToken           *string `json:"nextToken"`
	Limit               *int    `json:"limit"`
}

type logStream struct {
	Arn                 string `json:"arn"`
	CreationTime        int64  `json:"creationTime"`
	FirstEventTimestamp *int64 `json:"firstEventTimestamp,omitempty"`
	LastEventTimestamp  *int64 `json:"lastEventTimestamp,omitempty"`
	LastIngestionTime   *int64 `json:"lastIngestionTime,omitempty"`
	LogStreamName       string `json:"logStreamName"`
	StoredBytes         int64  `json:"storedBytes"`
}

type describeLogStreamsOut struct {
	LogStreams []logStream `json:"logStreams"`
	NextToken  string      `json:"nextToken,omitempty"`
}

// streamKey orders streams in DescribeLogStreams and is what its token
// carries.
type streamKey struct {
	Last int64  `json:"t"`
	Name string `json:"n"`
}

func (s *Store) describeLogStreams(_ context.Context, in *describeLogStreamsIn) (*describeLogStreamsOut, error) {
	byTime := false
	switch in.OrderBy {
	case "", "LogStreamName":
	case "LastEventTime":
		byTime = true
		if in.LogStreamNamePrefix != nil {
			return nil, errInvalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
		}
	default:
		return nil, errInvalid("1 validation error detected: Value '%s' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]", in.OrderBy)
	}
	limit, err := limitOf(in.Limit, 50, 50)
	if err != nil {
		return nil, err
	}
	var after *streamKey
	if in.NextToken != nil {
		_, p, err := parseToken(*in.NextToken, "s")
		if err != nil {
			return nil, err
		}
		after = new(streamKey)
		if json.Unmarshal([]byte(p), after) != nil {
			return nil, errToken()
		}
	}
	compare := func(a, b streamKey) int {
		c := strings.Compare(a.Name, b.Name)
		if byTime {
			c = cmp.Or(cmp.Compare(a.Last, b.Last), c)
		}
		if in.Descending {
			c = -c
		}
		return c
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.findGroup(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	first, last := map[string]int64{}, map[string]int64{}
	for _, e := range g.Events {
		if _, ok := first[e.Stream]; !ok {
			first[e.Stream] = e.Time
		}
		last[e.Stream] = max(last[e.Stream], e.Time)
	}
	var keys []streamKey
	for name := range g.Streams {
		if in.LogStreamNamePrefix != nil && !strings.HasPrefix(name, *in.LogStreamNamePrefix) {
			continue
		}
		k := streamKey{Name: name}
		if t, ok := last[name]; ok {
			k.Last = t
		}
		if after != nil && compare(k, *after) <= 0 {
			continue
		}
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compare)
	out := &describeLogStreamsOut{LogStreams: []logStream{}}
	if len(keys) > limit {
		keys = keys[:limit]
		b, _ := json.Marshal(keys[limit-1])
		out.NextToken = token('s', string(b))
	}
	for _, k := range keys {
		st := g.Streams[k.Name]
		ls := logStream{Arn: s.groupARN(g.Name) + ":log-stream:" + k.Name, CreationTime: st.Created, LogStreamName: k.Name}
		if f, ok := first[k.Name]; ok {
			l, ing := last[k.Name], st.LastIngest
			ls.FirstEventTimestamp, ls.LastEventTimestamp, ls.LastIngestionTime = &f, &l, &ing
		}
		out.LogStreams = append(out.LogStreams, ls)
	}
	return out, nil
}

type describeLogGroupsIn struct {
	LogGroupNamePrefix  *string `json:"logGroupNamePrefix"`
	LogGroupNamePattern *string `json:"logGroupNamePattern"`
	NextToken           *string `json:"nextToken"`
	Limit               *int    `json:"limit"`
}

type logGroup struct {
	Arn               string `json:"arn"`
	CreationTime      int64  `json:"creationTime"`
	LogGroupName      string `json:"logGroupName"`
	MetricFilterCount *int   `json:"metricFilterCount,omitempty"`
	StoredBytes       *int64 `json:"storedBytes,omitempty"`
	LogGroupClass     string `json:"logGroupClass,omitempty"`
	LogGroupArn       string `json:"logGroupArn,omitempty"`
}

type describeLogGroupsOut struct {
	LogGroups []logGroup `json:"logGroups"`
	NextToken string     `json:"nextToken,omitempty"`
}

func (s *Store) describeLogGroups(_ context.Context, in *describeLogGroupsIn) (*describeLogGroupsOut, error) {
	if in.LogGroupNamePrefix != nil && in.LogGroupNamePattern != nil {
		return nil, errInvalid("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
	}
	limit, err := limitOf(in.Limit, 50, 50)
	if err != nil {
		return nil, err
	}
	after := ""
	if in.NextToken != nil {
		_, p, err := parseToken(*in.NextToken, "g")
		if err != nil {
			return nil, err
		}
		after = p
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for name := range s.st.Groups {
		switch {
		case after != "" && name <= after,
			in.LogGroupNamePrefix != nil && !strings.HasPrefix(name, *in.LogGroupNamePrefix),
			in.LogGroupNamePattern != nil && !strings.Contains(name, *in.LogGroupNamePattern):
			continue
		}
		names = append(names, name)
	}
	slices.Sort(names)
	out := &describeLogGroupsOut{LogGroups: []logGroup{}}
	if len(names) > limit {
		names = names[:limit]
		out.NextToken = token('g', names[limit-1])
	}
	for _, name := range names {
		g := s.st.Groups[name]
		lg := logGroup{Arn: s.groupARN(name) + ":*", CreationTime: g.Created, LogGroupName: name}
		// With a name pattern AWS answers only arn, creationTime and name.
		if in.LogGroupNamePattern == nil {
			zero, bytes := 0, g.Bytes
			lg.MetricFilterCount, lg.StoredBytes, lg.LogGroupClass, lg.LogGroupArn = &zero, &bytes, "STANDARD", s.groupARN(name)
		}
		out.LogGroups = append(out.LogGroups, lg)
	}
	return out, nil
}
