#ifndef CVIPS_SHIM_H
#define CVIPS_SHIM_H

/* Plain C entry points over libvips. Swift cannot call C variadic functions, so every
 * libvips call that takes a NULL-terminated option list is wrapped here with fixed
 * arguments. Functions returning VipsImage * give the caller one reference (release it
 * with cvips_unref) or NULL on failure; int functions return 0 on success. */

#include <stddef.h>
#include <vips/vips.h>

typedef enum {
    CVIPS_SAVE_JPEG = 0,
    CVIPS_SAVE_PNG = 1,
    CVIPS_SAVE_WEBP = 2,
    CVIPS_SAVE_HEIC = 3,
    CVIPS_SAVE_AVIF = 4,
} cvips_save_format;

/* Start libvips for a server: operation cache off, warnings silenced, every loader except
 * JPEG, PNG, WebP and HEIF blocked. A concurrency > 0 sets libvips' worker threads per
 * pipeline unless VIPS_CONCURRENCY is set in the environment. Call once. */
int cvips_init(int concurrency);

/* Release libvips (worker threads, plugins such as libheif) before the process exits, so none
 * of their threads runs while the process tears itself down. No other thread may be using
 * libvips, and nothing may use it afterwards; a no-op when cvips_init never succeeded. */
void cvips_shutdown(void);
int cvips_is_started(void);

/* glibc only: at most `arenas` malloc arenas for the whole process (mallopt M_ARENA_MAX);
 * 0 on success, -1 elsewhere or on failure. Call before threads allocate. */
int cvips_limit_malloc_arenas(int arenas);

const char *cvips_version(void);
int cvips_concurrency(void);
int cvips_has_operation(const char *nickname);
void cvips_error_clear(void);
void cvips_thread_shutdown(void);

/* Every VipsObject alive in the process (images, operations, sources). */
int cvips_live_object_count(void);
/* Live operations of one kind (its nickname, such as "text"). */
int cvips_live_operation_count(const char *nickname);

void cvips_unref(VipsImage *image);
void cvips_free_buffer(void *buffer);
int cvips_width(VipsImage *image);
int cvips_height(VipsImage *image);
int cvips_bands(VipsImage *image);
int cvips_has_alpha(VipsImage *image);

/* Header only: pixels are not decoded. The buffer must outlive the image. */
VipsImage *cvips_header_from_buffer(const void *buffer, size_t length);
/* A string metadata item (e.g. "heif-compression"), or NULL if absent. Owned by the image. */
const char *cvips_get_string(VipsImage *image, const char *name);

/* Decode with shrink-on-load, apply the orientation tag, convert an embedded ICC profile
 * to sRGB, and fit inside width x height. upscale = 0 only shrinks; crop_centre = 1 fills
 * the box and crops the middle. Truncated input fails. The buffer must outlive the image. */
VipsImage *cvips_thumbnail_buffer(const void *buffer, size_t length, int width, int height,
                                  int upscale, int crop_centre);
VipsImage *cvips_thumbnail_image(VipsImage *in, int width, int height);

/* Render the whole pipeline into memory; decode errors surface here. */
VipsImage *cvips_copy_memory(VipsImage *in);

/* sRGB, 8 bits per channel, three bands, alpha flattened onto white. */
VipsImage *cvips_srgb8_opaque(VipsImage *in);
/* Alpha (if any) flattened onto white, everything else unchanged. */
VipsImage *cvips_flatten_white(VipsImage *in);

/* out = in * a + b per band, clipped to 8 bits. */
VipsImage *cvips_linear_uchar(VipsImage *in, const double *a, const double *b, int n);

/* Encode with all metadata stripped. quality is ignored for PNG. */
int cvips_save(VipsImage *in, int format, int quality, void **out, size_t *length);

/* A width x height sRGB image fading from top to bottom, in memory. */
VipsImage *cvips_vertical_gradient(int width, int height, const double *top,
                                   const double *bottom);
int cvips_draw_rect(VipsImage *image, const double *ink, int n, int left, int top, int width,
                    int height);
/* Pango markup in `font` (its size in points, at 72 dpi) as an 8-bit coverage mask, wrapped at width. */
VipsImage *cvips_text_mask(const char *markup, const char *font, int width);
int cvips_draw_mask(VipsImage *image, const double *ink, int n, VipsImage *mask, int x, int y);

#endif
