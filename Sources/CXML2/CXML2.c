#include "CXML2.h"

#include "CLazyLibrary.h"

#include <dlfcn.h>
#include <pthread.h>

typedef unsigned char xmlChar;
typedef cxml2_reader *xmlTextReaderPtr;

/* The prototypes of libxml2 2.9's parser.h and xmlreader.h. */
static void (*p_init_parser)(void);
static xmlTextReaderPtr (*p_reader_for_memory)(const char *buffer, int size, const char *URL,
                                               const char *encoding, int options);
static int (*p_read)(xmlTextReaderPtr reader);
static int (*p_node_type)(xmlTextReaderPtr reader);
static int (*p_depth)(xmlTextReaderPtr reader);
static int (*p_is_empty_element)(xmlTextReaderPtr reader);
static const xmlChar *(*p_const_local_name)(xmlTextReaderPtr reader);
static const xmlChar *(*p_const_namespace_uri)(xmlTextReaderPtr reader);
static const xmlChar *(*p_const_value)(xmlTextReaderPtr reader);
static int (*p_get_parser_line_number)(xmlTextReaderPtr reader);
static void (*p_free_text_reader)(xmlTextReaderPtr reader);

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static struct lazy_library library = LAZY_LIBRARY_INIT("libxml2.so.2");
static int loaded;

#define RESOLVE(pointer, name) do { if (!lazy_library_resolve(&library, name, (void **)&(pointer))) return; } while (0)

static void load(void) {
    if (!lazy_library_open(&library, RTLD_NOW | RTLD_LOCAL)) {
        return;
    }
    RESOLVE(p_init_parser, "xmlInitParser");
    RESOLVE(p_reader_for_memory, "xmlReaderForMemory");
    RESOLVE(p_read, "xmlTextReaderRead");
    RESOLVE(p_node_type, "xmlTextReaderNodeType");
    RESOLVE(p_depth, "xmlTextReaderDepth");
    RESOLVE(p_is_empty_element, "xmlTextReaderIsEmptyElement");
    RESOLVE(p_const_local_name, "xmlTextReaderConstLocalName");
    RESOLVE(p_const_namespace_uri, "xmlTextReaderConstNamespaceUri");
    RESOLVE(p_const_value, "xmlTextReaderConstValue");
    RESOLVE(p_get_parser_line_number, "xmlTextReaderGetParserLineNumber");
    RESOLVE(p_free_text_reader, "xmlFreeTextReader");
    /* libxml2 asks multithreaded programs to initialise it once, from one thread, before any parse. */
    p_init_parser();
    loaded = 1;
}

const char *cxml2_load(void) {
    pthread_once(&load_once, load);
    const char *error = lazy_library_error(&library);
    return loaded ? NULL : (error ? error : "cannot load libxml2.so.2");
}

int cxml2_library_is_mapped(void) {
    return lazy_library_is_mapped("/libxml2.so");
}

static int ready(void) {
    pthread_once(&load_once, load);
    return loaded;
}

cxml2_reader *cxml2_reader_for_memory(const char *buffer, int size, const char *encoding, int options) {
    return ready() ? p_reader_for_memory(buffer, size, NULL, encoding, options) : NULL;
}

int cxml2_read(cxml2_reader *reader) {
    return ready() ? p_read(reader) : -1;
}

int cxml2_node_type(cxml2_reader *reader) {
    return ready() ? p_node_type(reader) : -1;
}

int cxml2_depth(cxml2_reader *reader) {
    return ready() ? p_depth(reader) : -1;
}

int cxml2_is_empty_element(cxml2_reader *reader) {
    return ready() ? p_is_empty_element(reader) : -1;
}

const unsigned char *cxml2_local_name(cxml2_reader *reader) {
    return ready() ? p_const_local_name(reader) : NULL;
}

const unsigned char *cxml2_namespace_uri(cxml2_reader *reader) {
    return ready() ? p_const_namespace_uri(reader) : NULL;
}

const unsigned char *cxml2_value(cxml2_reader *reader) {
    return ready() ? p_const_value(reader) : NULL;
}

int cxml2_line_number(cxml2_reader *reader) {
    return ready() ? p_get_parser_line_number(reader) : 0;
}

void cxml2_free_reader(cxml2_reader *reader) {
    if (reader != NULL && ready()) {
        p_free_text_reader(reader);
    }
}
