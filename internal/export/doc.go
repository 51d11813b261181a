// Package export writes a trained model as an ONNX graph that other runtimes
// (ONNX Runtime, TensorRT, OpenCV's dnn, a browser) can run without this
// program.
//
// # The graph
//
// The embedding model has one input, "image", float32 N×C×S×S (N free, C and
// S from the model's spec), and one output, "embedding", float32 N×D. The
// pair model (--pair) has inputs "image_a" and "image_b" and outputs
// "embedding_a", "embedding_b" and "distance" (N), both towers reading one
// set of initializers, and
//
//	distance = sqrt(Σ_j (a_j - b_j)² + 1e-6)
//
// as ReduceSumSquare, Add, Sqrt: the distance head of internal/network
// (network.DistanceEps).
//
// Only standard operators of the default domain, opset 17 (IR version 8, what
// ONNX 1.12 and later check and ONNX Runtime 1.14 and later run):
//
//	conv       Conv (kernel_shape, pads, strides), no bias, as in the tower
//	relu       Relu
//	maxpool    MaxPool with window = stride = size, floor mode: the tower
//	           drops the last rows and columns that do not fill a window
//	dense      Flatten(axis 1) + Gemm with B = the In×Out weight untransposed.
//	           Flatten reads N×C×H×W row-major, which is the order the tower's
//	           dense layer reads it in (c, then y, then x)
//	batchnorm  BatchNormalization with the running statistics and epsilon
//	           1e-5 (inference mode, as the tower embeds)
//	dropout    nothing: the identity at inference
//	l2norm     x / sqrt(ReduceSumSquare(x) + 1e-10) over all of a sample's
//	           values, the tower's formula; LpNormalization has no epsilon
//	           and would give NaN for an all-zero row where the tower gives 0
//	gap        GlobalAveragePool (its N×C×1×1 result is flattened where the
//	           tower's N×C is needed, which holds the same values)
//	residual   Conv, BatchNormalization, Relu, Conv, BatchNormalization, Add
//	           of the shortcut (identity, or a strided 1×1 Conv and
//	           BatchNormalization), Relu
//
// A tower that ends in an image-shaped activation is flattened, as the tower
// does. A layer kind not listed is refused with an error naming the layer.
//
// # Metadata
//
// What a runtime must do to an image before the graph, and what to do with
// the distance after, is in the model's metadata_props (keys below, values
// strings): the side and channels, the resize (squash, centre crop or pad,
// as the model was trained; bilinear with a triangle filter that widens
// when shrinking, like PIL's resize with BILINEAR, a JPEG's EXIF
// orientation applied and alpha dropped first), the gray conversion (L = 0.299R + 0.587G +
// 0.114B, rounded to an integer), the scaling (value/255, so [0, 1], no mean or std),
// the layout (NCHW, channels R, G, B), the stored threshold (similar when
// distance < threshold) and the distance formula.
package export
