package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/siamese-dev/siamese/internal/dataset"
	"github.com/siamese-dev/siamese/internal/embedding"
	"github.com/siamese-dev/siamese/internal/verify"
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
	var dir, gallery string
	var keep []string
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "cache info|clear [--cache-dir DIR | --gallery DIR]",
		Short: "Show or clear the cache of decoded images that train keeps",
		Long: `train keeps decoded images (a byte a value, after resizing) in a cache
folder, one pack per data folder and preprocessing, so a second run over the
same folder skips decoding; a changed or added file is decoded again.
'info' lists the packs, 'clear' deletes them. The folder is --cache-dir, by
default the user's cache folder (~/.cache/siamese on Linux).

With --gallery DIR they list and delete instead the files that search,
identify and serve keep in a gallery folder, a set for each model
(embeddings and index: at 200,000 images about 230 MB a model); clear
--keep-model M keeps those of model M.`,
		Args: groupArgs,
		// Runnable, so that a mistyped subcommand is an error (cobra shows
		// a parent's help and exits 0 otherwise); alone, it is one too.
		RunE: needSubcommand,
	}
	cmd.PersistentFlags().StringVar(&dir, "cache-dir", "", "cache folder (default: the user's cache folder/siamese)")
	cmd.PersistentFlags().BoolVar(&jsonOut, "json", false, "print JSON")
	cmd.PersistentFlags().StringVar(&gallery, "gallery", "", "a gallery folder: its search caches instead of train's")
	oneCache := func() error {
		if gallery != "" && dir != "" {
			return usageError{fmt.Errorf("--cache-dir and --gallery name two caches; give one")}
		}
		return nil
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "info",
		Short: "List the cached packs: folder, preprocessing, images, bytes",
		Args:  wantArgs(0, 0, "no arguments, only flags"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := oneCache(); err != nil {
				return err
			}
			if gallery != "" {
				return galleryCacheInfo(cmd, gallery, jsonOut)
			}
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
			if err := oneCache(); err != nil {
				return err
			}
			if gallery != "" {
				return galleryCacheClear(cmd, gallery, keep, jsonOut)
			}
			if len(keep) > 0 {
				return usageError{fmt.Errorf("--keep-model is for --gallery's caches")}
			}
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
	for _, c := range cmd.Commands() {
		if c.Name() == "clear" {
			c.Flags().StringSliceVar(&keep, "keep-model", nil, "with --gallery: keep the files of these model files")
		}
	}
	return cmd
}

func galleryCacheInfo(cmd *cobra.Command, gallery string, jsonOut bool) error {
	files, err := verify.GalleryCacheFiles(gallery)
	if err != nil {
		return err
	}
	if jsonOut {
		if files == nil {
			files = []verify.GalleryCacheFile{}
		}
		return writeJSON(cmd.OutOrStdout(), struct {
			Gallery string                    `json:"gallery"`
			Files   []verify.GalleryCacheFile `json:"files"`
		}{gallery, files})
	}
	var total int64
	models := map[string]bool{}
	for _, f := range files {
		fmt.Fprintf(cmd.OutOrStdout(), "%s  %-10s  %10d bytes  model %s\n", f.Name, f.Kind, f.Bytes, f.Model)
		total += f.Bytes
		models[f.Model] = true
	}
	fmt.Fprintf(cmd.OutOrStdout(), "gallery %s: %d file(s) of %d model(s), %d bytes\n", gallery, len(files), len(models), total)
	return nil
}

func galleryCacheClear(cmd *cobra.Command, gallery string, keepModels []string, jsonOut bool) error {
	var keep []string
	for _, m := range keepModels {
		h, err := embedding.ModelHash(m)
		if err != nil {
			return fmt.Errorf("--keep-model: %w", err)
		}
		keep = append(keep, h)
	}
	freed, err := verify.ClearGalleryCaches(gallery, keep)
	if err != nil {
		return err
	}
	if jsonOut {
		return writeJSON(cmd.OutOrStdout(), struct {
			Gallery string `json:"gallery"`
			Freed   int64  `json:"freed_bytes"`
		}{gallery, freed})
	}
	fmt.Fprintf(cmd.OutOrStdout(), "cleared the caches of gallery %s: %d bytes freed\n", gallery, freed)
	return nil
}
