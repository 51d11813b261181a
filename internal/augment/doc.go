// Package augment makes random, label-preserving variations of training
// images, so that the tower learns what stays the same when an object moves,
// turns a little or is lit differently.
//
// One call transforms an image x (C×H×W, values in [0,1]) into
//
//	y(p) = clamp( b_scale * x(A^-1 (p - c) + c - t) + b_shift, 0, 1 )
//
// where c is the image centre, A a rotation by an angle drawn uniformly in
// [-Rotate, +Rotate] degrees, optionally composed with a horizontal mirror
// (probability 1/2 when FlipH), t a translation drawn uniformly in
// [-Shift, +Shift] pixels on each axis, and b_scale, b_shift a brightness
// change drawn uniformly in [1-Brightness, 1+Brightness] and
// [-Brightness/2, +Brightness/2]. x is sampled bilinearly at the
// back-projected point, with zero outside the image (the background of
// digits and product shots).
//
// The draws come from a generator the caller seeds, so a training run is
// reproducible. Horizontal flips suit objects and faces but not glyphs (a
// mirrored 2 is no 2), which is why it is a separate switch.
package augment
