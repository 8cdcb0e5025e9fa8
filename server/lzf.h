/* lzf: the LZF compression format that RDB files use for long strings
 * (rdbcompression yes), compressor and decompressor.
 *
 * The stream is a sequence of chunks, each starting with a control byte:
 *   000LLLLL                 a literal run of L+1 bytes (1..32) follows;
 *   LLLooooo [E] oooooooo    a back reference: copy len bytes starting
 *                            off+1 bytes behind the output position, where
 *                            off is the 13 bits ooooo:oooooooo and len is
 *                            L+2, or E+9 when L is 7 (3..264 bytes).
 * A reference may overlap the bytes it produces (runs).  There is no header:
 * RDB stores both lengths beside the compressed bytes. */
#ifndef KEEL_LZF_H
#define KEEL_LZF_H

#include <stddef.h>

/* Compress in[0..in_len) into out[0..out_len).  Returns the compressed size,
 * or 0 when the result would not fit in out_len bytes (the caller then
 * stores the data uncompressed). */
size_t lzf_compress(const void *in, size_t in_len, void *out, size_t out_len);

/* Decompress in[0..in_len) into out[0..out_len).  Returns the number of
 * bytes produced, or 0 when the input is malformed (a reference before the
 * start, a run past the end of either buffer) or the output does not fit. */
size_t lzf_decompress(const void *in, size_t in_len, void *out, size_t out_len);

#endif
