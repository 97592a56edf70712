/* Loader protocol constants as the emulated chip sees them, for the files
 * that build or parse frames (emu_core.c, emu_rom.c, emu_stub.c).
 * (protocol doc §1.6, §2.1) */
#ifndef MPI_EMU_PROTO_H
#define MPI_EMU_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "bytes.h"
#include "emu_impl.h"

enum {
    OP_FLASH_BEGIN = 0x02,
    OP_FLASH_DATA = 0x03,
    OP_FLASH_END = 0x04,
    OP_MEM_BEGIN = 0x05,
    OP_MEM_END = 0x06,
    OP_MEM_DATA = 0x07,
    OP_SYNC = 0x08,
    OP_WRITE_REG = 0x09,
    OP_READ_REG = 0x0A,
    OP_SPI_SET_PARAMS = 0x0B,
    OP_SPI_ATTACH = 0x0D,
    OP_READ_FLASH_SLOW = 0x0E,
    OP_CHANGE_BAUDRATE = 0x0F,
    OP_FLASH_DEFL_BEGIN = 0x10,
    OP_FLASH_DEFL_DATA = 0x11,
    OP_FLASH_DEFL_END = 0x12,
    OP_SPI_FLASH_MD5 = 0x13,
    OP_GET_SECURITY_INFO = 0x14,
    OP_ERASE_FLASH = 0xD0,
    OP_ERASE_REGION = 0xD1,
    OP_READ_FLASH = 0xD2,
    OP_RUN_USER_CODE = 0xD3,
};

/* ROM error codes (second status byte) */
enum {
    ROM_ERR_INVALID_PARAM = 0x01,
    ROM_ERR_BAD_FORMAT = 0x05,     /* also: unknown opcode */
    ROM_ERR_EXEC = 0x06,
    ROM_ERR_CHECKSUM = 0x07,
    ROM_ERR_FLASH_WRITE = 0x08,
    ROM_ERR_FLASH_READ = 0x09,
    ROM_ERR_READ_LEN = 0x0A,
    ROM_ERR_DEFLATE = 0x0B,
    ROM_ERR_RAM_SIZE = 0x0E,
};

/* Stub response codes (first status byte; second is 0) */
enum {
    STUB_BAD_DATA_LEN = 0xC0,
    STUB_BAD_CHECKSUM = 0xC1,
    STUB_BAD_BLOCKSIZE = 0xC2,
    STUB_INVALID_COMMAND = 0xC3,
    STUB_FAILED_SPI_OP = 0xC4,
    STUB_NOT_IN_FLASH_MODE = 0xC6,
    STUB_INFLATE_ERROR = 0xC7,
    STUB_NOT_ENOUGH_DATA = 0xC8,
    STUB_TOO_MUCH_DATA = 0xC9,
    STUB_NOT_IMPLEMENTED = 0xFF,
};

#endif
