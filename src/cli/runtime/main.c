#include <stdio.h>
int main(void)
{
	puts("berth-runtime " BERTH_VERSION);
	return 0;
}
