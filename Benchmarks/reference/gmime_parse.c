/*
 * gmime_parse.c - GMime 3 reference for Sealmilter's MIME parser.
 *
 *   gmime_parse --dump FILE
 *       Parse one message and print ONE JSON object on one line:
 *       {"file": "...", "parts": [{"path": "1.2", "content_type": "text/plain",
 *         "transfer_encoding": "base64", "decoded_size": 123}, ...],
 *        "warnings": ["MALFORMED_MULTIPART@120", ...]}
 *       "parts" lists the LEAF parts only, in document order.  Multipart
 *       containers are not leaves; a message/rfc822 (message/global,
 *       message/news) part is not a leaf either: we descend into the embedded
 *       message and list its leaves.  content_type is the lowercased
 *       type/subtype as GMime resolved it (including GMime's defaults, e.g.
 *       text/plain when absent, message/rfc822 inside multipart/digest).
 *       decoded_size is the number of bytes written by
 *       g_mime_data_wrapper_write_to_stream() (which applies the decoder for
 *       the part's Content-Transfer-Encoding) into a GMimeStreamNull.
 *       Exit status: 0 parsed, 1 unreadable/unparseable, 2 usage.
 *
 *   gmime_parse --bench [--parse-only] [--iterations N] FILE...
 *       For N iterations over all files: map the file (GMimeStreamMmap),
 *       parse it with GMimeParser, and decode every leaf part into a null
 *       stream (the same work as --dump, minus printing).  Prints one line:
 *       gmime_parse mode=decode-all bytes=B seconds=S mbps=M decoded_bytes=D files=F iterations=N
 *       With --parse-only the leaves are visited but not decoded
 *       (mode=parse-only, decoded_bytes=0): structure only, for comparison
 *       with a policy mode that decodes little.
 *       bytes = input bytes processed (file sizes x iterations);
 *       mbps = bytes / 1e6 / seconds (wall clock, CLOCK_MONOTONIC).
 *
 * Build: gcc -O2 -o gmime_parse gmime_parse.c $(pkg-config --cflags --libs gmime-3.0)
 */
#include <gmime/gmime.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---------- tiny JSON string writer ---------- */

static void json_str(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *) (s ? s : "");
	fputc('"', out);
	for (; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (*p < 0x20 || *p >= 0x7f)
				fprintf(out, "\\u%04x", *p); /* bytes, not code points: fine for diagnostics */
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

/* ---------- walking ---------- */

typedef struct {
	FILE *out;          /* NULL in bench mode: no printing */
	int decode;         /* decode leaves (always in dump mode) */
	int first;          /* first part printed? */
	guint64 decoded;    /* sum of decoded sizes */
	guint64 leaves;
} Walk;

static char *lower_mime_type(GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	const char *type = ct ? g_mime_content_type_get_media_type(ct) : NULL;
	const char *sub = ct ? g_mime_content_type_get_media_subtype(ct) : NULL;
	char *s = g_strdup_printf("%s/%s", type ? type : "", sub ? sub : "");
	char *l = g_ascii_strdown(s, -1);
	g_free(s);
	return l;
}

static gint64 decoded_size(GMimePart *part)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	if (content == NULL)
		return 0; /* a part without content decodes to nothing */
	GMimeStream *null = g_mime_stream_null_new();
	g_mime_data_wrapper_write_to_stream(content, null);
	gint64 n = (gint64) GMIME_STREAM_NULL(null)->written;
	g_object_unref(null);
	return n;
}

static void walk_object(GMimeObject *obj, const char *path, Walk *w);

static void walk_message(GMimeMessage *msg, const char *path, Walk *w)
{
	GMimeObject *body = msg ? g_mime_message_get_mime_part(msg) : NULL;
	if (body != NULL)
		walk_object(body, path, w);
}

static void walk_object(GMimeObject *obj, const char *path, Walk *w)
{
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = (GMimeMultipart *) obj;
		int n = g_mime_multipart_get_count(mp);
		for (int i = 0; i < n; i++) {
			char *sub = *path ? g_strdup_printf("%s.%d", path, i + 1) : g_strdup_printf("%d", i + 1);
			walk_object(g_mime_multipart_get_part(mp, i), sub, w);
			g_free(sub);
		}
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		/* embedded message: not a leaf, descend; path gets no extra level */
		GMimeMessage *inner = g_mime_message_part_get_message((GMimeMessagePart *) obj);
		walk_message(inner, path, w);
	} else if (GMIME_IS_PART(obj)) {
		GMimePart *part = (GMimePart *) obj;
		gint64 size = w->decode ? decoded_size(part) : 0;
		w->decoded += (guint64) size;
		w->leaves++;
		if (w->out) {
			char *ct = lower_mime_type(obj);
			const char *enc = g_mime_content_encoding_to_string(g_mime_part_get_content_encoding(part));
			fputs(w->first ? "" : ",", w->out);
			w->first = 0;
			fputs("{\"path\":", w->out);
			json_str(w->out, *path ? path : "1");
			fputs(",\"content_type\":", w->out);
			json_str(w->out, ct);
			fputs(",\"transfer_encoding\":", w->out);
			json_str(w->out, enc ? enc : "");
			fprintf(w->out, ",\"decoded_size\":%lld}", (long long) size);
			g_free(ct);
		}
	} else if (w->out) {
		/* Unknown GMimeObject subclass: report it rather than silently skipping. */
		fprintf(stderr, "gmime_parse: unexpected object type %s at %s\n", G_OBJECT_TYPE_NAME(obj), path);
	}
}

/* ---------- warnings ---------- */

static const char *warning_name(GMimeParserWarning code)
{
	switch (code) {
	case GMIME_WARN_DUPLICATED_HEADER: return "DUPLICATED_HEADER";
	case GMIME_WARN_DUPLICATED_PARAMETER: return "DUPLICATED_PARAMETER";
	case GMIME_WARN_UNENCODED_8BIT_HEADER: return "UNENCODED_8BIT_HEADER";
	case GMIME_WARN_INVALID_CONTENT_TYPE: return "INVALID_CONTENT_TYPE";
	case GMIME_WARN_INVALID_RFC2047_HEADER_VALUE: return "INVALID_RFC2047_HEADER_VALUE";
	case GMIME_WARN_MALFORMED_MULTIPART: return "MALFORMED_MULTIPART";
	case GMIME_WARN_TRUNCATED_MESSAGE: return "TRUNCATED_MESSAGE";
	case GMIME_WARN_MALFORMED_MESSAGE: return "MALFORMED_MESSAGE";
	case GMIME_CRIT_INVALID_HEADER_NAME: return "CRIT_INVALID_HEADER_NAME";
	case GMIME_CRIT_CONFLICTING_HEADER: return "CRIT_CONFLICTING_HEADER";
	case GMIME_CRIT_CONFLICTING_PARAMETER: return "CRIT_CONFLICTING_PARAMETER";
	case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY: return "CRIT_MULTIPART_WITHOUT_BOUNDARY";
	case GMIME_WARN_INVALID_PARAMETER: return "INVALID_PARAMETER";
	case GMIME_WARN_INVALID_ADDRESS_LIST: return "INVALID_ADDRESS_LIST";
	case GMIME_CRIT_NESTING_OVERFLOW: return "CRIT_NESTING_OVERFLOW";
	case GMIME_WARN_PART_WITHOUT_CONTENT: return "PART_WITHOUT_CONTENT";
	case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT: return "CRIT_PART_WITHOUT_HEADERS_OR_CONTENT";
	default: return "UNKNOWN";
	}
}

static void on_warning(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer user_data)
{
	(void) item;
	GString *list = user_data;
	if (list->len)
		g_string_append_c(list, ',');
	g_string_append_printf(list, "\"%s@%lld\"", warning_name(code), (long long) offset);
}

/* ---------- parsing one file ---------- */

/* Returns the parsed message (caller unrefs) or NULL.  *size_out = file size. */
static GMimeMessage *parse_file(const char *file, GMimeParserOptions *opts, off_t *size_out)
{
	int fd = open(file, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "gmime_parse: %s: %s\n", file, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "gmime_parse: %s: not a regular file\n", file);
		close(fd);
		return NULL;
	}
	*size_out = st.st_size;
	GMimeStream *stream;
	if (st.st_size > 0) {
		/* mmap stream: the parser reads from the mapping; part contents stay
		 * substreams of it (seekable source), no extra copy of bodies. The
		 * stream owns fd and closes it. */
		stream = g_mime_stream_mmap_new(fd, PROT_READ, MAP_PRIVATE);
	} else {
		stream = g_mime_stream_fs_new(fd); /* mmap of an empty file fails */
	}
	if (stream == NULL) {
		fprintf(stderr, "gmime_parse: %s: cannot open stream\n", file);
		close(fd);
		return NULL;
	}
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, opts);
	g_object_unref(parser);
	g_object_unref(stream); /* parts keep their own references to it */
	return msg;
}

static int do_dump(const char *file)
{
	GString *warnings = g_string_new("");
	GMimeParserOptions *opts = g_mime_parser_options_new();
	g_mime_parser_options_set_warning_callback(opts, on_warning, warnings);
	off_t size = 0;
	GMimeMessage *msg = parse_file(file, opts, &size);
	if (msg == NULL) {
		g_mime_parser_options_free(opts);
		g_string_free(warnings, TRUE);
		fprintf(stderr, "gmime_parse: %s: no message\n", file);
		return 1;
	}
	Walk w = { stdout, 1, 1, 0, 0 };
	fputs("{\"file\":", stdout);
	json_str(stdout, file);
	fputs(",\"parts\":[", stdout);
	walk_message(msg, "", &w);
	fprintf(stdout, "],\"warnings\":[%s]}\n", warnings->str);
	g_object_unref(msg);
	g_mime_parser_options_free(opts);
	g_string_free(warnings, TRUE);
	return 0;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int do_bench(int iterations, int decode, char **files, int nfiles)
{
	guint64 bytes = 0, decoded = 0;
	int failures = 0;
	double t0 = now_seconds();
	for (int it = 0; it < iterations; it++) {
		for (int i = 0; i < nfiles; i++) {
			off_t size = 0;
			GMimeMessage *msg = parse_file(files[i], NULL, &size);
			if (msg == NULL) {
				failures++;
				continue;
			}
			Walk w = { NULL, decode, 1, 0, 0 };
			walk_message(msg, "", &w);
			decoded += w.decoded;
			bytes += (guint64) size;
			g_object_unref(msg);
		}
	}
	double secs = now_seconds() - t0;
	printf("gmime_parse mode=%s bytes=%llu seconds=%.6f mbps=%.2f decoded_bytes=%llu files=%d iterations=%d\n",
	       decode ? "decode-all" : "parse-only", (unsigned long long) bytes, secs, secs > 0 ? (double) bytes / 1e6 / secs : 0.0,
	       (unsigned long long) decoded, nfiles, iterations);
	return failures ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: gmime_parse --dump FILE\n"
	                "       gmime_parse --bench [--parse-only] [--iterations N] FILE...\n");
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		usage();
		return 2;
	}
	g_mime_init();
	int rc;
	if (strcmp(argv[1], "--dump") == 0 && argc == 3) {
		rc = do_dump(argv[2]);
	} else if (strcmp(argv[1], "--bench") == 0) {
		int iterations = 1, first = 2, decode = 1;
		if (first < argc && strcmp(argv[first], "--parse-only") == 0) {
			decode = 0;
			first++;
		}
		if (first + 1 < argc && strcmp(argv[first], "--iterations") == 0) {
			iterations = atoi(argv[first + 1]);
			first += 2;
		}
		if (iterations < 1 || first >= argc) {
			usage();
			return 2;
		}
		rc = do_bench(iterations, decode, argv + first, argc - first);
	} else {
		usage();
		rc = 2;
	}
	g_mime_shutdown();
	return rc;
}
