#include "commands.h"

#include <stdio.h>
#include <string.h>
/* temporary (vm engineer): the lead replaces this file */
int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "vm") == 0)
		return cmd_vm(argc - 1, argv + 1);
	puts("berth " BERTH_VERSION);
	return 0;
}
