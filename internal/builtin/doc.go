// Package builtin embeds a small default data set, so that `siamese train`
// works at once without --data.
//
// The set is 2000 images of Fashion-MNIST: the first 200 of each of its ten
// classes, in file order, from the 60000-image training files. Fashion-MNIST
// is by Zalando Research (Han Xiao, Kashif Rasul and Roland Vollgraf, 2017,
// https://github.com/zalandoresearch/fashion-mnist) under the MIT licence;
// the files come from Debian's dataset-fashion-mnist package, which installs
// them under /usr/share/datasets/fashion-mnist. Each image is a 28×28 8-bit
// gray PNG at fashion/<class>/<nnnnn>.png, with the class folders named
// T-shirt_top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag
// and Ankle_boot (labels 0 to 9 of the original files); fashion/LICENSE.txt
// carries the licence notice.
//
// To regenerate, install dataset-fashion-mnist and run `go generate` in this
// directory; gen.go replaces the fashion folder using dataset.ImportIDX.
package builtin
