#include <pwd.h>
#include <stdio.h>
#include <unistd.h>

/* Prints who it runs as, through glibc's NSS lookup of /etc/passwd (which scratchify writes). */
int main(void) {
  struct passwd *pw = getpwuid(getuid());
  printf("hello from %s (uid %u)\n", pw ? pw->pw_name : "?", (unsigned)getuid());
  return pw ? 0 : 1;
}
