package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/siamese-dev/siamese/internal/dataset"
)

// cacheOff is the --cache-dir value that turns the decoded-image cache off.
const cacheOff = "off"

// cacheDir resolves --cache-dir: "" is the user's cache folder.
func cacheDir(flag string) (string, error) {
	if flag == cacheOff {
		return "", usageError{fmt.Errorf("--cache-dir %s turns train's cache off; name the cache folder to show or clear (without --cache-dir: the user's cache folder)", cacheOff)}
	}
	if flag != "" {
		return flag, nil
	}
	return dataset.DefaultCacheDir()
}

// openCache opens the cache --cache-dir names: nil when it is off, or
// when it cannot be opened, which warn hears: the cache only saves time,
// and a service account without a home folder must still train.
func openCache(flag string, warn func(string)) *dataset.Cache {
	if flag == cacheOff {
		return nil
	}
	dir, err := cacheDir(flag)
	if err == nil {
		var c *dataset.Cache
		if c, err = dataset.OpenCache(dir); err == nil {
			return c
		}
	}
	warn(fmt.Sprintf("%v; decoding without the cache (--cache-dir DIR puts it elsewhere)", err))
	return nil
}

func newCacheCmd() *cobra.Command {
	var dir string
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "cache info|clear [--cache-dir DIR]",
		Short: "Show or clear the cache of decoded images that train keeps",
		Long: `train keeps decoded images (a byte a value, after resizing) in a cache
folder, one pack per data folder and preprocessing, so a second run over the
same folder skips decoding; a changed or added file is decoded again.
'info' lists the packs, 'clear' deletes them. The folder is --cache-dir, by
default the user's cache folder (~/.cache/siamese on Linux).`,
		Args: groupArgs,
		// Runnable, so that a mistyped subcommand is an error (cobra shows
		// a parent's help and exits 0 otherwise); alone, it is one too.
		RunE: needSubcommand,
	}
	cmd.PersistentFlags().StringVar(&dir, "cache-dir", "", "cache folder (default: the user's cache folder/siamese)")
	cmd.PersistentFlags().BoolVar(&jsonOut, "json", false, "print JSON")
	cmd.AddCommand(&cobra.Command{
		Use:   "info",
		Short: "List the cached packs: folder, preprocessing, images, bytes",
		Args:  wantArgs(0, 0, "no arguments, only flags"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := cacheDir(dir)
			if err != nil {
				return err
			}
			packs, err := (&dataset.Cache{Dir: d}).Info()
			if err != nil {
				return err
			}
			if jsonOut {
				if packs == nil {
					packs = []dataset.CachePack{} // [], not null, for an empty cache
				}
				return writeJSON(cmd.OutOrStdout(), struct {
					Dir   string              `json:"dir"`
					Packs []dataset.CachePack `json:"packs"`
				}{d, packs})
			}
			var total int64
			for _, p := range packs {
				fmt.Fprintf(cmd.OutOrStdout(), "%s  %7d images  %10d bytes  %s\n", p.Name, p.Images, p.Bytes, p.What)
				total += p.Bytes
			}
			noun := "packs"
			if len(packs) == 1 {
				noun = "pack"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "cache %s: %d %s, %d bytes\n", d, len(packs), noun, total)
			return nil
		},
	}, &cobra.Command{
		Use:   "clear",
		Short: "Delete the cached packs",
		Args:  wantArgs(0, 0, "no arguments, only flags"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := cacheDir(dir)
			if err != nil {
				return err
			}
			freed, err := (&dataset.Cache{Dir: d}).Clear()
			if err != nil {
				return err
			}
			if jsonOut {
				return writeJSON(cmd.OutOrStdout(), struct {
					Dir   string `json:"dir"`
					Freed int64  `json:"freed_bytes"`
				}{d, freed})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "cleared cache %s: %d bytes freed\n", d, freed)
			return nil
		},
	})
	return cmd
}
