#!/usr/bin/env bash
# Builds the open-set (class-disjoint) benchmarks of issue 9 as image folders
# for `siamese train --data`: no class of train/ is in test/.
#
#   scripts/fetch-openset.sh SET...      SET: mnist fashion glyphs icons all
#
#   data/mnist-open/{train,test}/<digit>/   train: digits 0-5 of the official
#                                           training set; test: 6-9 of the
#                                           official test set (class folders
#                                           are symbolic links into data/mnist)
#   data/fashion-open/{train,test}/<class>/ the same by label index: train
#                                           0-5 (T-shirt_top Trouser Pullover
#                                           Dress Coat Sandal), test 6-9
#                                           (Shirt Sneaker Bag Ankle_boot)
#   data/glyphs/{train,test}/U+XXXX/<font>.png  characters drawn by Debian's
#                                           font packages, 32x32 grey, black on
#                                           white; one class per character, one
#                                           image per font; ~70/30 by FNV-1a
#                                           hash of the class name (rules in
#                                           scripts/glyphs/main.go)
#   data/icons/{train,test}/<icon-name>/<theme>.png  freedesktop icon names
#                                           drawn by Debian's icon themes, 48x48
#                                           RGB on white; one class per name,
#                                           one image per theme family; ~75/25
#                                           by FNV-1a hash of the name (rules in
#                                           scripts/icons/main.go)
#
# mnist and fashion run scripts/fetch-data.sh first when data/mnist or
# data/fashion is missing. glyphs and icons install their Debian packages with
# apt-get when run as root and some are missing (otherwise they use what is
# installed). Each set prints its classes and images in train and test.
#
# Safe to run again: a set whose build finished with the same inputs is kept
# (FORCE=1 rebuilds it). Environment:
#   DATA     output folder; default: data
#   FORCE    1 to rebuild even where a build finished
#   NO_APT   1 never to call apt-get
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

DATA=${DATA:-data}
FORCE=${FORCE:-0}
NO_APT=${NO_APT:-0}

readonly FONT_PACKAGES=(
	fonts-dejavu-core fonts-dejavu-extra fonts-liberation2 fonts-noto-core fonts-urw-base35
	fonts-freefont-ttf fonts-croscore fonts-crosextra-carlito fonts-crosextra-caladea
	fonts-cantarell fonts-open-sans fonts-roboto-unhinted fonts-linuxlibertine fonts-ebgaramond
	fonts-texgyre fonts-lato fonts-comic-neue fonts-firacode fonts-inconsolata fonts-go fonts-stix
	fonts-sil-gentium fonts-sil-andika fonts-sil-charis fonts-paratype fonts-oldstandard
	fonts-tuffy fonts-inter fonts-jetbrains-mono fonts-gfs-didot fonts-gfs-neohellenic
	fonts-comfortaa fonts-cabin fonts-dosis fonts-quicksand fonts-play fonts-courier-prime
	fonts-vollkorn fonts-averia-gwf fonts-league-spartan fonts-mononoki fonts-anonymous-pro
	fonts-opendyslexic fonts-yanone-kaffeesatz fonts-adf-accanthis fonts-adf-gillius fonts-cmu
	fonts-lobster fonts-dkg-handwriting fonts-humor-sans fonts-3270 fonts-jura fonts-junicode
)
readonly ICON_PACKAGES=(
	librsvg2-bin
	adwaita-icon-theme breeze-icon-theme deepin-icon-theme elementary-icon-theme
	elementary-xfce-icon-theme faba-icon-theme faenza-icon-theme gnome-brave-icon-theme
	gnome-icon-theme gnome-icon-theme-gartoon gnome-icon-theme-nuovo gnome-icon-theme-suede
	gnome-icon-theme-yasis lxde-icon-theme mate-icon-theme moka-icon-theme numix-icon-theme
	numix-icon-theme-circle oxygen-icon-theme paper-icon-theme papirus-icon-theme
	sugar-icon-theme suru-icon-theme tango-icon-theme
)

say() { printf 'fetch-openset: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

usage() {
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2
	exit 2
}

# ensure_packages PKG...: install those of PKG not installed, when root.
ensure_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	if [[ $NO_APT != 1 && $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
		say "installing ${#missing[@]} packages: ${missing[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2 ||
			die "apt-get install failed; is another apt-get running? (try again)"
	else
		say "not installed (run as root to install; going on with what is here): ${missing[*]}"
	fi
}

# done_before DIR WANT: whether DIR's finished-build marker says WANT.
done_before() {
	[[ $FORCE != 1 && -f $1/.built && $(<"$1/.built") == "$2" ]]
}

# counts DIR LABEL: print classes and images in DIR/train and DIR/test.
counts() {
	local dir=$1 label=$2 split classes images
	for split in train test; do
		classes=$(find -L "$dir/$split" -mindepth 1 -maxdepth 1 -type d ! -name '.*' | wc -l)
		images=$(find -L "$dir/$split" -mindepth 2 -type f -name '*.png' | wc -l)
		printf '%s %s: %d classes, %d images (%s)\n' "$label" "$split" "$classes" "$images" "$dir/$split"
	done
}

# idx_open NAME CLASSES...: DATA/NAME-open from DATA/NAME: the first six
# classes' training images in train/, the last four's test images in test/.
idx_open() {
	local name=$1
	shift
	local classes=("$@") src=$DATA/$name dst=$DATA/$name-open
	local want="train=${classes[*]:0:6} test=${classes[*]:6:4} from=$src"
	if done_before "$dst" "$want"; then
		say "$dst: already built"
		counts "$dst" "$name-open"
		return
	fi
	if [[ ! -f $src/train/.imported || ! -f $src/test/.imported ]]; then
		say "$src missing: running scripts/fetch-data.sh"
		DATA=$DATA scripts/fetch-data.sh
	fi
	rm -rf "$dst"
	mkdir -p "$dst/train" "$dst/test"
	local c
	# Relative links, so the set still works if data/ moves as a whole. The
	# scan follows a symbolic link to a class folder.
	for c in "${classes[@]:0:6}"; do
		[[ -d $src/train/$c ]] || die "no class $c in $src/train"
		ln -s "../../$name/train/$c" "$dst/train/$c"
	done
	for c in "${classes[@]:6:4}"; do
		[[ -d $src/test/$c ]] || die "no class $c in $src/test"
		ln -s "../../$name/test/$c" "$dst/test/$c"
	done
	printf '%s\n' "$want" >"$dst/.built"
	counts "$dst" "$name-open"
}

# go_set NAME PROGRAM PACKAGES...: build DATA/NAME with `go run PROGRAM`.
go_set() {
	local name=$1 prog=$2
	shift 2
	ensure_packages "$@"
	local dst=$DATA/$name
	# The inputs: the program and the installed packages' versions.
	local want
	want=$(
		cat "$prog"/*.go
		dpkg-query -W -f='${Package} ${Version}\n' "$@" 2>/dev/null || true
	)
	want=$(printf '%s' "$want" | sha256sum | cut -d' ' -f1)
	if done_before "$dst" "$want"; then
		say "$dst: already built"
		counts "$dst" "$name"
		return
	fi
	say "$dst: building (go run $prog)"
	nice -n 10 go run "$prog" -out "$dst" >/dev/null
	printf '%s\n' "$want" >"$dst/.built"
	counts "$dst" "$name"
}

(($#)) || usage
sets=()
for a in "$@"; do
	case $a in
	all) sets+=(mnist fashion glyphs icons) ;;
	mnist | fashion | glyphs | icons) sets+=("$a") ;;
	-h | --help) usage ;;
	*) say "unknown set '$a'"; usage ;;
	esac
done

for s in "${sets[@]}"; do
	case $s in
	mnist) idx_open mnist 0 1 2 3 4 5 6 7 8 9 ;;
	fashion) idx_open fashion T-shirt_top Trouser Pullover Dress Coat Sandal Shirt Sneaker Bag Ankle_boot ;;
	glyphs) go_set glyphs ./scripts/glyphs "${FONT_PACKAGES[@]}" ;;
	icons) go_set icons ./scripts/icons "${ICON_PACKAGES[@]}" ;;
	esac
done
