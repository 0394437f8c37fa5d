// Package detdata makes a detection data set with real image content and
// loads detection sets for training.
//
// # Generated sets
//
// [Generate] pastes items of an MNIST-style data set (Fashion-MNIST by
// default: 28×28 gray clothing items in 10 classes) onto square gray
// canvases and writes a COCO set that package coco reads:
//
//	DIR/instances_train.json   DIR/images/train/000001.png ...
//	DIR/instances_val.json     DIR/images/val/000001.png ...
//	DIR/config.json            the Config that made them
//
// Training canvases use items from the source's training split only,
// validation canvases items from its test split only. Per canvas:
//   - The background is noise: each pixel uniform in 0..Config.Noise.
//   - Up to Config.Clutter fragments are pasted at low intensity: each a
//     crop of at most half of an item's frame, scaled like an object, at
//     15–35% of its brightness. Fragments are clutter, not objects, and
//     have no annotation.
//   - MinObjects..MaxObjects items (uniform) are drawn with a size, the
//     side √(w·h) of their box, log-uniform in MinSide..MaxSide; each is
//     scaled (bilinear when enlarging, area-averaged when shrinking) so that
//     its box has about that size, its frame capped at the canvas. They are
//     placed largest first at uniform positions, a position being redrawn
//     (up to 100 times, after which the item is dropped) while its box has
//     an IoU above Config.MaxIoU with a box already placed, or covers or is
//     covered by one for more than half its area (which keeps a small item
//     from vanishing inside a large one).
//   - The box of an object is the tight box of the nonzero pixels of its
//     scaled item, not of its 28×28 frame. Its category is the item's
//     class; category ids are the class labels plus 1, the names those of
//     the source (Fashion-MNIST's ten).
//   - Layers combine by their pixelwise maximum, so no layer darkens
//     another: every pixel of an item shows at least as bright as in the
//     item.
//
// The area of an annotation is that of its box (COCO would use the mask's),
// so the COCO size ranges (small below 32², large above 96²) split objects
// by box area, as they split detections. The default sizes, 12 to 128 px
// on 128 px canvases, give about 45% small, 45% medium and 10% large
// objects.
//
// Every canvas is drawn from its own random stream, PCG seeded by
// Config.Seed, the split and the canvas index, so the output depends on the
// Config and the source data only: the same seed gives byte-identical files,
// whatever the number of CPUs. Files are written with package atomicfile;
// the annotation files come after the images they list.
//
// # Loading
//
// [Load] reads a COCO set whose images are 8-bit gray (or converted to
// gray) and all of one size into memory; a [Loader] turns it into float32
// batches of shape [B,1,H,W], normalised as package data normalises
// classification images, x = (v/255 − mean)/std, with the boxes of each
// image alongside.
package detdata
