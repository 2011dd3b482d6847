#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void greet(const char *who);

/* Loads ../lib/plugins/hello.so relative to the executable, as many programs find their plugins. */
int main(void) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n < 0) return 2;
  exe[n] = 0;
  char path[PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/../lib/plugins/hello.so", dirname(exe));
  greet("the world");
  void *h = dlopen(path, RTLD_NOW);
  if (!h) { fprintf(stderr, "dlopen: %s\n", dlerror()); return 1; }
  const char *(*hello)(void) = (const char *(*)(void))dlsym(h, "plugin_hello");
  printf("%s; uid %d\n", hello(), (int)getuid());
  return 0;
}
