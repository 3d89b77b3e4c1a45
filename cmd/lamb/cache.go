package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambctl/lamb/builder"
	"github.com/lambctl/lamb/internal/binsize"
	"github.com/lambctl/lamb/manifest"
)

// newCacheCmd is lamb cache: the local artifact cache (the user cache
// directory), which lamb also trims by itself after builds.
func newCacheCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cache info|prune",
		Short: "Show or trim the local artifact cache",
		Long: fmt.Sprintf(`lamb keeps every zip it builds in the local artifact cache (the user cache directory,
lamb/artifacts), keyed by fingerprint, so a function built before on any branch is copied
instead of built. After a build lamb trims it by itself, at most once a day: entries unused
for %s, then the least recently used ones until it holds %s. An entry a
running build is using is never removed.`, builder.DefaultCacheMaxAge, binsize.HumanSize(builder.DefaultCacheMaxSize)),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newCacheInfoCmd(g), newCachePruneCmd(g))
	return cmd
}

func newCacheInfoCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "info",
		Short: "Where the local artifact cache is, how big, how old",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.checkOutput(); err != nil {
				return err
			}
			st, err := builder.CacheInfo("")
			if err != nil {
				return err
			}
			if g.Output == "json" {
				return deployWriteJSON(g.stdout, struct {
					Dir       string     `json:"dir"`
					Entries   int        `json:"entries"`
					Bytes     int64      `json:"bytes"`
					Oldest    *time.Time `json:"oldest,omitempty"`
					Newest    *time.Time `json:"newest,omitempty"`
					LastPrune *time.Time `json:"last_prune,omitempty"`
				}{st.Dir, st.Entries, st.Bytes, timeOrNil(st.Oldest), timeOrNil(st.Newest), timeOrNil(st.LastPrune)})
			}
			fmt.Fprintf(g.stdout, "dir        %s\nentries    %d\nsize       %s\n", st.Dir, st.Entries, binsize.HumanSize(st.Bytes))
			if !st.Oldest.IsZero() {
				fmt.Fprintf(g.stdout, "oldest use %s\nnewest use %s\n", st.Oldest.Format(time.RFC3339), st.Newest.Format(time.RFC3339))
			}
			last := "never"
			if !st.LastPrune.IsZero() {
				last = st.LastPrune.Format(time.RFC3339)
			}
			_, err = fmt.Fprintf(g.stdout, "last trim  %s\n", last)
			return err
		},
	}
}

func newCachePruneCmd(g *globalOptions) *cobra.Command {
	var maxAge time.Duration
	var maxSize string
	cmd := &cobra.Command{
		Use:   "prune [--max-age D] [--max-size SIZE]",
		Short: "Trim the local artifact cache now",
		Long: `prune removes the entries unused for longer than --max-age, then the least recently used
ones until the cache holds at most --max-size. --max-age 0 and --max-size 0 remove every
entry no running build is using.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.checkOutput(); err != nil {
				return err
			}
			o := builder.PruneOptions{MaxAge: maxAge, MaxSize: builder.DefaultCacheMaxSize}
			if maxAge == 0 {
				o.MaxAge = time.Nanosecond // 0 means the default to the builder
			}
			if maxAge < 0 {
				return usageError(fmt.Errorf("--max-age %v: must not be negative", maxAge))
			}
			switch maxSize {
			case "":
			case "0":
				o.MaxSize = 1 // keep nothing (0 means the default to the builder)
			default:
				n, err := manifest.ParseSize(maxSize)
				if err != nil {
					return usageError(fmt.Errorf("--max-size %q: %w", maxSize, err))
				}
				o.MaxSize = n
			}
			res, err := builder.PruneCache(cmd.Context(), "", o)
			if err != nil {
				return err
			}
			if g.Output == "json" {
				return deployWriteJSON(g.stdout, struct {
					Removed      int   `json:"removed"`
					RemovedBytes int64 `json:"removed_bytes"`
					Kept         int   `json:"kept"`
					KeptBytes    int64 `json:"kept_bytes"`
					InUse        int   `json:"in_use"`
				}{res.Removed, res.RemovedBytes, res.Kept, res.KeptBytes, res.InUse})
			}
			msg := fmt.Sprintf("removed %d entries (%s), kept %d (%s)", res.Removed, binsize.HumanSize(res.RemovedBytes), res.Kept, binsize.HumanSize(res.KeptBytes))
			if res.InUse > 0 {
				msg += fmt.Sprintf(", %d in use by a running build", res.InUse)
			}
			_, err = fmt.Fprintln(g.stdout, msg)
			return err
		},
	}
	cmd.Flags().DurationVar(&maxAge, "max-age", builder.DefaultCacheMaxAge, "remove entries unused for longer than `D`")
	cmd.Flags().StringVar(&maxSize, "max-size", "", "then keep at most `SIZE` (e.g. 2GiB, 500MB; default "+binsize.HumanSize(builder.DefaultCacheMaxSize)+")")
	return cmd
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
