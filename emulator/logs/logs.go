// Package logs is a local CloudWatch Logs store for the local Lambda's
// function logs. The emulator appends what its functions print (Append,
// group "/aws/lambda/<function>", Lambda's stream names), and the store
// answers FilterLogEvents, GetLogEvents, DescribeLogStreams and
// DescribeLogGroups over the AWS JSON 1.1 protocol (X-Amz-Target
// "Logs_20140328.*") as the SDK's cloudwatchlogs client and the AWS CLI
// call them. StartLiveTail is refused: it is an HTTP/2 event stream.
//
// Memory is bounded: each group keeps at most MaxEventsPerGroup events and
// MaxBytesPerGroup bytes of messages, the oldest dropped first; a stream
// whose events were all dropped is forgotten. With a StateDir the store is
// written to <StateDir>/logs.json (mode 0600: logs may hold what functions
// print) at most FlushDelay after an Append, and on Flush and Close.
package logs

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/lambctl/lamb/emulator/awsjson"
	"github.com/lambctl/lamb/emulator/awsjson/statefile"
)

// Target is the X-Amz-Target prefix of CloudWatch Logs calls.
const Target = "Logs_20140328"

// StateFile is the name of the state file inside Options.StateDir.
const StateFile = "logs.json"

// Defaults and limits.
const (
	DefaultMaxEventsPerGroup = 10000
	DefaultMaxBytesPerGroup  = 8 << 20
	DefaultFlushDelay        = time.Second
	// MaxEventSize is the longest message kept (bytes); longer ones are
	// truncated. CloudWatch Logs takes events up to 1 MB, counting 26
	// bytes of overhead per event.
	MaxEventSize = 1<<20 - 26
)

// Event is one log line.
type Event struct {
	// Time is the event's timestamp; the zero time means the time of
	// Append.
	Time    time.Time
	Message string
}

// Options configure a Store.
type Options struct {
	// StateDir persists the logs in StateDir/logs.json; "" keeps them in
	// memory only.
	StateDir string
	// Region and AccountID form ARNs; defaults us-east-1 and 123456789012
	// (the local Lambda's).
	Region    string
	AccountID string
	// MaxEventsPerGroup and MaxBytesPerGroup bound each log group; the
	// oldest events are dropped first. Defaults DefaultMaxEventsPerGroup
	// and DefaultMaxBytesPerGroup.
	MaxEventsPerGroup int
	MaxBytesPerGroup  int64
	// FlushDelay is how long after an Append the state file is written;
	// default DefaultFlushDelay.
	FlushDelay time.Duration
	// Logger receives write failures of the state file (never messages);
	// default discards.
	Logger *slog.Logger
}

// Store holds log groups and answers the CloudWatch Logs API. It is safe
// for concurrent use.
type Store struct {
	awsjson.Endpoint // Match, ServeHTTP, Refuse
	opts             Options
	file             statefile.File
	log              *slog.Logger
	now              func() time.Time

	saveMu sync.Mutex // serialises state file writes, in order
	mu     sync.Mutex
	st     state
	dirty  bool
	timer  *time.Timer
	closed bool
}

type state struct {
	Seq    uint64            `json:"seq"`
	Groups map[string]*group `json:"groups"`
}

type group struct {
	Name    string             `json:"name"`
	Created int64              `json:"created"` // Unix milliseconds
	Streams map[string]*stream `json:"streams"`
	Events  []*event           `json:"events"` // ordered by (Time, Seq)
	Bytes   int64              `json:"-"`
}

type stream struct {
	Created    int64 `json:"created"`
	LastIngest int64 `json:"lastIngest"`
	Count      int   `json:"-"`
}

type event struct {
	Seq    uint64 `json:"q"`
	Time   int64  `json:"t"`
	Ingest int64  `json:"i"`
	Stream string `json:"s"`
	Msg    string `json:"m"`
}

// id is the event's eventId: 56 digits, the timestamp then the sequence
// number, so that ids sort as events do.
func (e *event) id() string { return eventID(e.Time, e.Seq) }

func eventID(t int64, seq uint64) string { return fmt.Sprintf("%020d%036d", max(t, 0), seq) }

func (e *event) size() int64 { return int64(len(e.Msg)) + 26 }

func (e *event) before(t int64, seq uint64) bool {
	return e.Time < t || (e.Time == t && e.Seq < seq)
}

// New returns a Store, reloading what an earlier one saved in StateDir.
func New(opts Options) (*Store, error) {
	awsjson.Defaults(&opts.Region, &opts.AccountID)
	if opts.MaxEventsPerGroup <= 0 {
		opts.MaxEventsPerGroup = DefaultMaxEventsPerGroup
	}
	if opts.MaxBytesPerGroup <= 0 {
		opts.MaxBytesPerGroup = DefaultMaxBytesPerGroup
	}
	if opts.FlushDelay <= 0 {
		opts.FlushDelay = DefaultFlushDelay
	}
	s := &Store{opts: opts, file: statefile.At(opts.StateDir, StateFile), log: opts.Logger, now: time.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if _, err := s.file.Load(&s.st); err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}
	if s.st.Groups == nil {
		s.st.Groups = map[string]*group{}
	}
	for name, g := range s.st.Groups {
		if g == nil {
			delete(s.st.Groups, name)
			continue
		}
		if g.Streams == nil {
			g.Streams = map[string]*stream{}
		}
		g.Events = slices.DeleteFunc(g.Events, func(e *event) bool { return e == nil || g.Streams[e.Stream] == nil })
		slices.SortFunc(g.Events, func(a, b *event) int {
			if a.before(b.Time, b.Seq) {
				return -1
			}
			return 1
		})
		for _, e := range g.Events {
			g.Bytes += e.size()
			g.Streams[e.Stream].Count++
			s.st.Seq = max(s.st.Seq, e.Seq)
		}
		s.trim(g)
	}
	api := &awsjson.Service{
		Target: Target,
		Ops: map[string]awsjson.Handler{
			"FilterLogEvents":    awsjson.Op(s.filterLogEvents),
			"GetLogEvents":       awsjson.Op(s.getLogEvents),
			"DescribeLogStreams": awsjson.Op(s.describeLogStreams),
			"DescribeLogGroups":  awsjson.Op(s.describeLogGroups),
		},
		Unsupported: map[string]*awsjson.Error{
			"StartLiveTail": {Type: "InvalidOperationException",
				Message: "lamb local does not serve StartLiveTail (an HTTP/2 event stream); poll FilterLogEvents with startTime instead"},
		},
	}
	s.Endpoint = api.Endpoint()
	return s, nil
}

// GroupName is the log group of a Lambda function: /aws/lambda/<function>.
func GroupName(function string) string { return "/aws/lambda/" + function }

// StreamName is a new log stream name as Lambda forms them for one
// execution environment: the UTC date, the version in brackets ("$LATEST"
// or a number) and 32 random hex digits, e.g.
// "2025/03/04/[$LATEST]3a3efa6d32f545bf82c323db4100bf5d".
func StreamName(t time.Time, version string) string {
	var b [16]byte
	rand.Read(b[:])
	return t.UTC().Format("2006/01/02") + "/[" + version + "]" + hex.EncodeToString(b[:])
}

// Append adds events to a stream of a group, creating both as needed.
// Messages longer than MaxEventSize are truncated; events may come in any
// order. It never blocks on disk: the state file is written later.
func (s *Store) Append(groupName, streamName string, events []Event) {
	now := s.now().UnixMilli()
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.st.Groups[groupName]
	if g == nil {
		g = &group{Name: groupName, Created: now, Streams: map[string]*stream{}}
		s.st.Groups[groupName] = g
	}
	st := g.Streams[streamName]
	if st == nil {
		st = &stream{Created: now}
		g.Streams[streamName] = st
	}
	for _, ev := range events {
		t := now
		if !ev.Time.IsZero() {
			t = ev.Time.UnixMilli()
		}
		s.st.Seq++
		e := &event{Seq: s.st.Seq, Time: t, Ingest: now, Stream: streamName, Msg: truncate(ev.Message, MaxEventSize)}
		if n := len(g.Events); n == 0 || !e.before(g.Events[n-1].Time, g.Events[n-1].Seq) {
			g.Events = append(g.Events, e)
		} else {
			i, _ := slices.BinarySearchFunc(g.Events, e, func(a, b *event) int {
				if a.before(b.Time, b.Seq) {
					return -1
				}
				return 1
			})
			g.Events = slices.Insert(g.Events, i, e)
		}
		g.Bytes += e.size()
		st.Count++
		st.LastIngest = now
	}
	s.trim(g)
	s.markDirty()
}

// trim drops the oldest events of g beyond its bounds. s.mu is held.
func (s *Store) trim(g *group) {
	drop := 0
	for n := len(g.Events); drop < n && (n-drop > s.opts.MaxEventsPerGroup || g.Bytes > s.opts.MaxBytesPerGroup); drop++ {
		e := g.Events[drop]
		g.Bytes -= e.size()
		if st := g.Streams[e.Stream]; st != nil {
			if st.Count--; st.Count <= 0 {
				delete(g.Streams, e.Stream)
			}
		}
	}
	if drop > 0 {
		g.Events = slices.Delete(g.Events, 0, drop)
	}
}

// truncate cuts s to at most n bytes at a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// markDirty schedules a write of the state file. s.mu is held.
func (s *Store) markDirty() {
	if !s.file.Persistent() || s.closed {
		return
	}
	if !s.dirty {
		s.dirty = true
		s.timer = time.AfterFunc(s.opts.FlushDelay, func() {
			if err := s.Flush(); err != nil {
				s.log.Warn("logs: write state", "err", err)
			}
		})
	}
}

// Flush writes the state file now if anything changed since the last
// write.
func (s *Store) Flush() error {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	s.mu.Lock()
	if !s.dirty {
		s.mu.Unlock()
		return nil
	}
	b, err := json.Marshal(&s.st)
	s.dirty = false
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	s.mu.Unlock()
	if err == nil {
		err = s.file.Write(b)
	}
	if err != nil {
		s.mu.Lock()
		s.markDirty()
		s.mu.Unlock()
		return fmt.Errorf("logs: %w", err)
	}
	return nil
}

// Close writes what is pending. Appends after Close stay in memory.
func (s *Store) Close() error {
	err := s.Flush()
	s.mu.Lock()
	s.closed = true
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	s.mu.Unlock()
	return err
}

// groupARN is the log group's ARN without the ":*" that DescribeLogGroups'
// "arn" member carries.
func (s *Store) groupARN(name string) string {
	return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", s.opts.Region, s.opts.AccountID, name)
}
