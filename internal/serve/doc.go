// Package serve answers similarity questions over HTTP with one trained
// model: compare two images, embed one, search a gallery for the nearest.
//
// # Routes
//
//	POST /v1/compare          fields a, b   -> {"distance", "threshold", "similar"}
//	POST /v1/embed            field image   -> {"embedding": [...]}
//	POST /v1/search?k=5       field image   -> {"neighbours": [{"path", "class", "distance", "similar"}], ...}
//	GET  /healthz                           -> {"status": "ok"}
//	GET  /metrics                           Prometheus text format
//
// Images come as multipart/form-data fields or as base64 strings in a JSON
// object ({"a": "iVBOR...", "b": "..."}: each field once, nothing after
// the object), and are preprocessed by
// dataset.Loader exactly as training preprocessed files: the model's size
// and channels, the same resize, the pixel limit checked on the header
// before anything is decoded. Every failure is a 4xx or 5xx answer with
// {"error": "one line"}; no request can stop the server.
//
// # Micro-batching
//
// The network's forward pass costs little more for 32 images than for
// one, so one goroutine owns the network and runs each pass on the images
// of every request that arrived meanwhile: it takes the first waiting
// request, then keeps taking more until the batch holds MaxBatch images,
// or nothing is waiting and no admitted request is still reading or
// decoding its body, or BatchWait has passed since it started to wait. A
// lone client therefore never waits, and under load the batch grows with
// the number of clients, so throughput grows with load. Batches run on a
// graph compiled for the next power of two, so at most log2(MaxBatch)+1
// graphs are ever built, each sharing the model's weights.
//
// # Limits
//
// At most MaxInFlight requests are handled at once; the next gets 503 with
// Retry-After at once rather than a place in a queue whose wait would only
// grow. The body is cut off at MaxBodyBytes (413) as it streams in, so a
// gigabyte upload costs the server no more than the limit. MaxPixels is
// checked on the image's header (413), but bounds an image's pixels, not
// its bytes: decoded, one image may take MaxPixels×8 bytes however small
// its file, so at most MaxDecodes requests (one per CPU) decode at once
// and the others wait their turn. ReadTimeout bounds the whole request,
// so a client that sends slowly holds a connection for that long at most
// (408 when the body is cut off by it); IdleTimeout closes idle keep-alive
// connections. On shutdown the listener closes at once and requests in
// flight finish, for ShutdownTimeout at most; past it they are cut off,
// and Serve says how many.
//
// Paths are taken as they come: one that is not clean ("//v1/embed",
// "/a/../v1/embed") is no route (404), where http.ServeMux would redirect
// it.
//
// # Metrics
//
// siamese_http_requests_total{route,code}, siamese_http_request_duration_seconds{route}
// (histogram), siamese_http_errors_total{route,kind} (kind: bad_request,
// not_found, too_large, timeout, bad_image, no_gallery, overloaded,
// unavailable, internal), siamese_batch_images
// (histogram of images per forward pass), siamese_forward_seconds,
// siamese_http_in_flight, and the Go and process collectors, all in a
// registry of the server's own.
package serve
