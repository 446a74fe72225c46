/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/mm.h>, see ../../README */
#ifndef _SHIM_LINUX_MM_H
#define _SHIM_LINUX_MM_H

#include <linux/types.h>

#define PAGE_SIZE		4096UL
#define PAGE_ALIGNED(x)		(((unsigned long)(x) & (PAGE_SIZE - 1)) == 0)

#define SZ_4K			0x00001000
#define SZ_8K			0x00002000
#define SZ_64K			0x00010000
#define SZ_512K			0x00080000
#define SZ_1M			0x00100000

#endif
