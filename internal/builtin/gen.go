//go:build ignore

// Gen rebuilds the embedded Fashion-MNIST sample in ./fashion from the IDX
// training files of Debian's dataset-fashion-mnist package. Run it with
// go generate (see builtin.go).
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/siamese-dev/siamese/internal/dataset"
)

func main() {
	src := flag.String("src", "/usr/share/datasets/fashion-mnist", "directory holding train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz")
	out := flag.String("out", "fashion", "directory to write")
	perClass := flag.Int("per-class", 200, "images per class")
	flag.Parse()

	// Start clean so a smaller sample leaves no files of a larger one behind.
	if err := os.RemoveAll(*out); err != nil {
		log.Fatal(err)
	}
	rep, err := dataset.ImportIDX(dataset.ImportOptions{
		Images:        filepath.Join(*src, "train-images-idx3-ubyte.gz"),
		Labels:        filepath.Join(*src, "train-labels-idx1-ubyte.gz"),
		Out:           *out,
		Names:         []string{"T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot"},
		LimitPerClass: *perClass,
	})
	if err != nil {
		log.Fatal(err)
	}
	// The MIT licence asks for its notice to travel with the images. A file
	// directly in the data set root is not an image, so scans ignore it.
	if err := os.WriteFile(filepath.Join(*out, "LICENSE.txt"), []byte(licence), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("wrote %d images to %s: %v\n", rep.Images, *out, rep.PerClass)
}

const licence = `Fashion-MNIST, https://github.com/zalandoresearch/fashion-mnist
The images in this folder are a sample of its training set.

The MIT License (MIT)

Copyright (c) 2017 Zalando SE, https://tech.zalando.com

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
`
