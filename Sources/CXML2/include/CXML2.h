#ifndef CXML2_H
#define CXML2_H

/*
 * libxml2's xmlTextReader behind dlopen. libxml2's headers are not on the
 * default include path, so the few prototypes used are declared below with an
 * opaque reader; they match libxml2 2.9's xmlreader.h exactly (xmlChar is
 * unsigned char). Call cxml2_load() first; it returns NULL on success.
 */

#ifdef __cplusplus
extern "C" {
#endif

/* An xmlTextReaderPtr. */
typedef struct cxml2_reader cxml2_reader;

/* libxml2's xmlParserOption bits used here. */
enum {
    CXML2_PARSE_NOERROR = 1 << 5,    /* XML_PARSE_NOERROR: no error reports on stderr */
    CXML2_PARSE_NOWARNING = 1 << 6,  /* XML_PARSE_NOWARNING */
    CXML2_PARSE_NONET = 1 << 11,     /* XML_PARSE_NONET: no network access */
    CXML2_PARSE_NOCDATA = 1 << 14,   /* XML_PARSE_NOCDATA: CDATA sections as text */
    CXML2_PARSE_IGNORE_ENC = 1 << 21, /* XML_PARSE_IGNORE_ENC: ignore the document's encoding declaration */
};

/* libxml2's xmlReaderTypes used here. */
enum {
    CXML2_NODE_ELEMENT = 1,
    CXML2_NODE_TEXT = 3,
    CXML2_NODE_CDATA = 4,
    CXML2_NODE_ENTITY_REFERENCE = 5,
    CXML2_NODE_ENTITY = 6,
    CXML2_NODE_DOCUMENT_TYPE = 10,
    CXML2_NODE_WHITESPACE = 13,
    CXML2_NODE_SIGNIFICANT_WHITESPACE = 14,
    CXML2_NODE_END_ELEMENT = 15,
};

/*
 * Loads libxml2.so.2 once per process (RTLD_NOW | RTLD_LOCAL), resolves the
 * functions below and runs xmlInitParser. Thread-safe. Returns NULL on
 * success, else a message (from dlerror) that stays valid for the process.
 */
const char *_Nullable cxml2_load(void);

/* 1 when libxml2 is mapped into this process (/proc/self/maps), else 0. */
int cxml2_library_is_mapped(void);

/* xmlReaderForMemory with no base URL; NULL on failure or before a successful cxml2_load(). */
cxml2_reader *_Nullable cxml2_reader_for_memory(const char *_Nonnull buffer, int size,
                                                const char *_Nullable encoding, int options);
/* xmlTextReaderRead: 1 = a node was read, 0 = end, -1 = error. */
int cxml2_read(cxml2_reader *_Nonnull reader);
int cxml2_node_type(cxml2_reader *_Nonnull reader);
int cxml2_depth(cxml2_reader *_Nonnull reader);
int cxml2_is_empty_element(cxml2_reader *_Nonnull reader);
/* The reader owns these strings; they stay valid until the next cxml2_read. */
const unsigned char *_Nullable cxml2_local_name(cxml2_reader *_Nonnull reader);
const unsigned char *_Nullable cxml2_namespace_uri(cxml2_reader *_Nonnull reader);
const unsigned char *_Nullable cxml2_value(cxml2_reader *_Nonnull reader);
/* xmlTextReaderGetParserLineNumber. */
int cxml2_line_number(cxml2_reader *_Nonnull reader);
void cxml2_free_reader(cxml2_reader *_Nullable reader);

#ifdef __cplusplus
}
#endif

#endif
