#include <stdio.h>
#include <zlib.h>
/* The plugin has a library of its own (zlib), which only a resolver that follows dlopen'ed objects finds. */
const char *plugin_hello(void) { static char buf[64]; snprintf(buf, sizeof buf, "plugin with zlib %s", zlibVersion()); return buf; }
