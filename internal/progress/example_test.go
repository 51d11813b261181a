package progress_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/siamese-dev/siamese/internal/progress"
)

// The work makes its bar from the writer the command hands it and uses it
// unconditionally: given nil (standard error is not a terminal), the bar
// is nil and draws nothing.
func ExampleNew() {
	embed := func(progressTo io.Writer, images int) {
		bar := progress.New(progressTo, images, "embedding", "images")
		defer bar.Finish()
		for done := 1; done <= images; done++ {
			bar.Set(done)
		}
	}
	embed(nil, 3) // piped: no bar
	var terminal strings.Builder
	embed(&terminal, 3)
	fmt.Println(strings.Contains(terminal.String(), "embedding"))
	// Output: true
}
