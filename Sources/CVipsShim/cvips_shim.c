#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <vips/vips.h>
#include "cvips_shim.h"

/* libvips reports problems through its return codes; its GLib warnings would otherwise
 * flood the server's stderr with one line per damaged tile. */
static void drop_log_message(const gchar *domain, GLogLevelFlags level, const gchar *message,
                             gpointer user_data) {
    (void) domain;
    (void) level;
    (void) message;
    (void) user_data;
}

/* Set once cvips_init succeeded, so cvips_shutdown releases only what was started. */
static int started = 0;

int cvips_init(int concurrency) {
    if (VIPS_INIT("interior"))
        return -1;

    /* Every request brings a new image, so cached operations are never reused; they would
     * only pin memory, and a cached buffer load is keyed by an address we free afterwards. */
    vips_cache_set_max(0);
    vips_cache_set_max_mem(0);
    vips_cache_set_max_files(0);

    if (concurrency > 0 && g_getenv("VIPS_CONCURRENCY") == NULL)
        vips_concurrency_set(concurrency);

    /* Defence in depth behind our magic-byte sniffing: no other loader may run. */
    vips_operation_block_set("VipsForeignLoad", TRUE);
    vips_operation_block_set("VipsForeignLoadJpeg", FALSE);
    vips_operation_block_set("VipsForeignLoadPng", FALSE);
    vips_operation_block_set("VipsForeignLoadWebp", FALSE);
    vips_operation_block_set("VipsForeignLoadHeif", FALSE);

    g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO,
                      drop_log_message, NULL);
    vips_error_clear();
    started = 1;
    return 0;
}

int cvips_is_started(void) { return started; }

int cvips_limit_malloc_arenas(int arenas) {
#if defined(__GLIBC__)
    return mallopt(M_ARENA_MAX, arenas) == 1 ? 0 : -1;
#else
    (void) arenas;
    return -1;
#endif
}

void cvips_shutdown(void) {
    if (!started)
        return;
    started = 0;
    vips_shutdown();
}

const char *cvips_version(void) { return vips_version_string(); }

int cvips_concurrency(void) { return vips_concurrency_get(); }

int cvips_has_operation(const char *nickname) {
    return vips_type_find("VipsOperation", nickname) != 0;
}

void cvips_error_clear(void) { vips_error_clear(); }

void cvips_thread_shutdown(void) { vips_thread_shutdown(); }

static void *count_object(void *item, void *a, void *b) {
    (void) item;
    (void) b;
    *(int *) a += 1;
    return NULL;
}

int cvips_live_object_count(void) {
    int n = 0;
    vips_object_map(count_object, &n, NULL);
    return n;
}

static void *count_operation(void *item, void *a, void *b) {
    if (VIPS_IS_OPERATION(item) && strcmp(VIPS_OBJECT_GET_CLASS(item)->nickname, (const char *) b) == 0)
        *(int *) a += 1;
    return NULL;
}

int cvips_live_operation_count(const char *nickname) {
    int n = 0;
    vips_object_map(count_operation, &n, (void *) nickname);
    return n;
}

void cvips_unref(VipsImage *image) {
    if (image)
        g_object_unref(image);
}

void cvips_free_buffer(void *buffer) { g_free(buffer); }

int cvips_width(VipsImage *image) { return vips_image_get_width(image); }

int cvips_height(VipsImage *image) { return vips_image_get_height(image); }

int cvips_bands(VipsImage *image) { return vips_image_get_bands(image); }

int cvips_has_alpha(VipsImage *image) { return vips_image_hasalpha(image) ? 1 : 0; }

VipsImage *cvips_header_from_buffer(const void *buffer, size_t length) {
    return vips_image_new_from_buffer(buffer, length, "", "fail_on", VIPS_FAIL_ON_TRUNCATED,
                                      NULL);
}

const char *cvips_get_string(VipsImage *image, const char *name) {
    const char *value = NULL;
    if (!vips_image_get_typeof(image, name) || vips_image_get_string(image, name, &value)) {
        vips_error_clear();
        return NULL;
    }
    return value;
}

VipsImage *cvips_thumbnail_buffer(const void *buffer, size_t length, int width, int height,
                                  int upscale, int crop_centre) {
    VipsImage *out = NULL;
    /* No export_profile here: with one, libvips 8.14 also "converts" untagged images from
     * its fallback sRGB to sRGB and shifts their colours (pure red comes out 248,26,16). */
    if (vips_thumbnail_buffer((void *) buffer, length, &out, width,
                              "height", height,
                              "size", upscale ? VIPS_SIZE_BOTH : VIPS_SIZE_DOWN,
                              "crop", crop_centre ? VIPS_INTERESTING_CENTRE
                                                  : VIPS_INTERESTING_NONE,
                              /* libvips 8.14 does not pass thumbnail's own fail_on to a
                               * buffer loader; the loader option string does reach it. */
                              "option_string", "fail_on=truncated",
                              NULL))
        return NULL;

    /* An embedded profile is still attached, pixels untouched: convert them to sRGB (after
     * the shrink, so on few pixels). A profile that does not fit the pixels is ignored; the
     * saver strips it either way. */
    if (vips_image_get_typeof(out, VIPS_META_ICC_NAME)) {
        VipsImage *converted = NULL;
        if (vips_icc_transform(out, &converted, "srgb", "embedded", TRUE, NULL) == 0) {
            g_object_unref(out);
            out = converted;
        } else {
            vips_error_clear();
        }
    }
    return out;
}

VipsImage *cvips_thumbnail_image(VipsImage *in, int width, int height) {
    VipsImage *out = NULL;
    if (vips_thumbnail_image(in, &out, width, "height", height, "size", VIPS_SIZE_DOWN, NULL))
        return NULL;
    return out;
}

VipsImage *cvips_copy_memory(VipsImage *in) { return vips_image_copy_memory(in); }

/* Runs a short chain of operations whose intermediates hang off `base`, then hands back
 * one reference to the last image. */
static VipsImage *keep_result(VipsImage *base, VipsImage *result) {
    if (result)
        g_object_ref(result);
    g_object_unref(base);
    return result;
}

static int flatten_onto_white(VipsImage *in, VipsImage **out) {
    double white[3] = {255.0, 255.0, 255.0};
    int n = vips_image_get_bands(in) >= 3 ? 3 : 1;
    VipsArrayDouble *background = vips_array_double_new(white, n);
    int status = vips_flatten(in, out, "background", background, NULL);
    vips_area_unref(VIPS_AREA(background));
    return status;
}

VipsImage *cvips_flatten_white(VipsImage *in) {
    if (!vips_image_hasalpha(in)) {
        g_object_ref(in);
        return in;
    }
    VipsImage *base = vips_image_new();
    VipsImage **t = (VipsImage **) vips_object_local_array(VIPS_OBJECT(base), 2);
    if (flatten_onto_white(in, &t[0]) || vips_cast_uchar(t[0], &t[1], NULL))
        return keep_result(base, NULL);
    return keep_result(base, t[1]);
}

VipsImage *cvips_srgb8_opaque(VipsImage *in) {
    VipsImage *base = vips_image_new();
    VipsImage **t = (VipsImage **) vips_object_local_array(VIPS_OBJECT(base), 4);
    VipsImage *x = in;

    if (vips_colourspace(x, &t[0], VIPS_INTERPRETATION_sRGB, NULL))
        return keep_result(base, NULL);
    x = t[0];
    if (vips_image_hasalpha(x)) {
        if (flatten_onto_white(x, &t[1]))
            return keep_result(base, NULL);
        x = t[1];
    }
    if (vips_cast_uchar(x, &t[2], NULL))
        return keep_result(base, NULL);
    x = t[2];
    if (vips_image_get_bands(x) > 3) {
        if (vips_extract_band(x, &t[3], 0, "n", 3, NULL))
            return keep_result(base, NULL);
        x = t[3];
    }
    return keep_result(base, x);
}

VipsImage *cvips_linear_uchar(VipsImage *in, const double *a, const double *b, int n) {
    VipsImage *out = NULL;
    if (vips_linear(in, &out, (double *) a, (double *) b, n, "uchar", TRUE, NULL))
        return NULL;
    return out;
}

/* A copy of `in` (sharing its pixels) with every metadata item removed. libvips 8.14's
 * WebP saver ignores `strip` and writes EXIF, XMP and ICC regardless, so nothing is left
 * for any saver to write. Built-in header fields are GObject properties and stay. */
static VipsImage *without_metadata(VipsImage *in) {
    VipsImage *copy = NULL;
    if (vips_copy(in, &copy, NULL))
        return NULL;
    gchar **fields = vips_image_get_fields(copy);
    GObjectClass *class = G_OBJECT_GET_CLASS(copy);
    for (int i = 0; fields[i]; i++)
        if (!g_object_class_find_property(class, fields[i]))
            vips_image_remove(copy, fields[i]);
    g_strfreev(fields);
    return copy;
}

static int save_stripped(VipsImage *in, int format, int quality, void **out, size_t *length) {
    switch (format) {
    case CVIPS_SAVE_JPEG:
        return vips_jpegsave_buffer(in, out, length, "Q", quality, "strip", TRUE,
                                    "optimize_coding", TRUE, NULL);
    case CVIPS_SAVE_PNG:
        return vips_pngsave_buffer(in, out, length, "strip", TRUE, NULL);
    case CVIPS_SAVE_WEBP:
        return vips_webpsave_buffer(in, out, length, "Q", quality, "strip", TRUE, NULL);
    case CVIPS_SAVE_HEIC:
        return vips_heifsave_buffer(in, out, length, "Q", quality, "strip", TRUE,
                                    "compression", VIPS_FOREIGN_HEIF_COMPRESSION_HEVC, NULL);
    case CVIPS_SAVE_AVIF:
        return vips_heifsave_buffer(in, out, length, "Q", quality, "strip", TRUE,
                                    "compression", VIPS_FOREIGN_HEIF_COMPRESSION_AV1,
                                    "effort", 0, NULL);
    default:
        vips_error("cvips", "unknown save format");
        return -1;
    }
}

int cvips_save(VipsImage *in, int format, int quality, void **out, size_t *length) {
    VipsImage *bare = without_metadata(in);
    if (!bare)
        return -1;
    int status = save_stripped(bare, format, quality, out, length);
    g_object_unref(bare);
    return status;
}

VipsImage *cvips_vertical_gradient(int width, int height, const double *top,
                                   const double *bottom) {
    VipsImage *base = vips_image_new();
    VipsImage **t = (VipsImage **) vips_object_local_array(VIPS_OBJECT(base), 4);
    double scale[3], offset[3];
    double span = height > 1 ? (double) (height - 1) : 1.0;
    for (int i = 0; i < 3; i++) {
        scale[i] = (bottom[i] - top[i]) / span;
        offset[i] = top[i];
    }
    /* A one-band ramp times three constants gives a three-band image. */
    if (vips_xyz(&t[0], width, height, NULL) ||
        vips_extract_band(t[0], &t[1], 1, NULL) ||
        vips_linear(t[1], &t[2], scale, offset, 3, "uchar", TRUE, NULL) ||
        vips_copy(t[2], &t[3], "interpretation", VIPS_INTERPRETATION_sRGB, NULL))
        return keep_result(base, NULL);
    VipsImage *memory = vips_image_copy_memory(t[3]);
    g_object_unref(base);
    return memory;
}

int cvips_draw_rect(VipsImage *image, const double *ink, int n, int left, int top, int width,
                    int height) {
    return vips_draw_rect(image, (double *) ink, n, left, top, width, height, "fill", TRUE,
                          NULL);
}

/* One line of text, or several wrapped at `width`, in `font` (a Pango description with its
 * size in points), as a one-band mask. Always at 72 dpi, where a point is a pixel: Pango's
 * fontconfig thread frees font patterns that a change of resolution left behind, and frees
 * them from its own thread, racing the next rendering on the font map's tables (a rare
 * divide by zero inside GLib). vips_text()'s fitting to a height changes the resolution at
 * every step, so the caller fits by font size instead.
 *
 * The image vips_text() returns keeps its operation alive, and with it a Pango layout; the
 * mask leaves here as a memory copy, so the layout is freed now, under the caller's lock. */
VipsImage *cvips_text_mask(const char *markup, const char *font, int width) {
    VipsImage *out = NULL;
    if (vips_text(&out, markup, "font", font, "width", width, "dpi", 72,
                  "wrap", VIPS_TEXT_WRAP_WORD, NULL))
        return NULL;
    VipsImage *memory = vips_image_copy_memory(out);
    g_object_unref(out);
    return memory;
}

int cvips_draw_mask(VipsImage *image, const double *ink, int n, VipsImage *mask, int x, int y) {
    return vips_draw_mask(image, (double *) ink, n, mask, x, y, NULL);
}
