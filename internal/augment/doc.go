// Package augment makes random, label-preserving variations of training
// images, so that the tower learns what stays the same when an object moves,
// turns a little or is lit differently.
//
// One call transforms an image x (C×H×W, values in [0,1]) into
//
//	y(p) = clamp( b_scale * x(A^-1 (p - c) + c - t) + b_shift, 0, 1 )
//
// where c is the image centre, A = R·H·Z a rotation R by an angle drawn
// uniformly in [-Rotate, +Rotate] degrees after a horizontal shear H by an
// angle in [-Shear, +Shear] degrees (x += tan(angle)·y) after a zoom Z by a
// factor in [1-Scale, 1+Scale] — the random affine distortions of Koch,
// Zemel and Salakhutdinov (2015) — optionally composed with a horizontal
// mirror (probability 1/2 when FlipH), t a translation drawn uniformly in
// [-Shift, +Shift] pixels on each axis, and b_scale, b_shift a brightness
// change drawn uniformly in [1-Brightness, 1+Brightness] and
// [-Brightness/2, +Brightness/2]. x is sampled bilinearly at the
// back-projected point, with the nearest edge pixel outside the image, so
// the background stays what it was, black (digits) or white (glyphs,
// product shots).
//
// Colour images may also have their colours turned about the gray axis by
// an angle in [-Hue, +Hue] degrees (Rodrigues' rotation: grays stay gray)
// and, with probability Gray, be replaced by their luminance
// 0.299R + 0.587G + 0.114B: themes, cameras and lighting recolour things
// without changing what they are.
//
// The draws come from a generator the caller seeds, so a training run is
// reproducible. Horizontal flips suit objects and faces but not glyphs (a
// mirrored 2 is no 2), which is why it is a separate switch.
package augment
