package builtin

import (
	"embed"
	"io/fs"
)

//go:generate go run gen.go

//go:embed fashion
var fashion embed.FS

// Fashion returns the embedded Fashion-MNIST sample and the folder inside it
// that holds the class folders, ready for dataset.ScanFS.
func Fashion() (fs.FS, string) {
	return fashion, "fashion"
}
