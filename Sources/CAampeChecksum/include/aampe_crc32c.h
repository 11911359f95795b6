// CRC-32C (Castagnoli), as used by iSCSI, ext4 and the aamped segment format.
//
// Polynomial 0x1EDC6F41 (reflected 0x82F63B78), initial value 0xFFFFFFFF, final XOR 0xFFFFFFFF.
// The check value of the ASCII string "123456789" is 0xE3069283.
#ifndef AAMPE_CRC32C_H
#define AAMPE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/// Extends `crc` (a finished CRC-32C of earlier bytes, or 0 for none) over `length` bytes at `data`.
uint32_t aampe_crc32c_extend(uint32_t crc, const void *data, size_t length);

/// 1 when the running CPU has a CRC-32C instruction that the extend function uses, else 0.
int aampe_crc32c_is_hardware_accelerated(void);

#endif
