// Package optimize updates weights from their gradients: SGD with momentum,
// RMSProp and Adam, with optional decoupled weight decay.
//
// For a weight w with gradient g at step t (learning rate lr):
//
//	SGD:      v = mu*v + g;                    w -= lr*v
//	RMSProp:  s = rho*s + (1-rho)*g^2;         w -= lr*g/(sqrt(s)+eps)
//	Adam:     m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g^2
//	          w -= lr * (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)
//
// with mu=0.9, rho=0.9, b1=0.9, b2=0.999, eps=1e-8 (Adam, as in PyTorch and
// Keras) or 1e-7 (RMSProp, Keras' value). Weight decay, when set, is applied
// as w -= lr*wd*w after the step (AdamW's decoupled form), so it does not
// pass through Adam's per-weight scaling.
//
// Optimisers are written here rather than taken from gorgonia because a
// checkpoint must hold their moments (State, SetState) for a resumed run to
// continue exactly where it stopped, and because the update is a plain loop
// over float32 slices that needs no graph.
package optimize
