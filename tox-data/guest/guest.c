/*
 * dirtyring-guest: a tiny 32-bit multiboot kernel that dirties memory at a set rate.
 *
 * Boots from QEMU's multiboot loader (`-kernel guest.elf -append 'mb=64 rate=10'`, or libvirt
 * <os><kernel>/path/guest.elf</kernel><cmdline>mb=64 rate=10</cmdline></os>), in 32-bit protected
 * mode with paging off. Prints on COM1 (0x3f8, 115200 8N1):
 *
 *   dirtyring-guest: up mb=64 rate=10
 *   dirtyring-guest: tsc_khz=2100000 wset=0x02000000+64MiB
 *   dirtyring-guest: t=1 achieved=10.0 MiB/s pages=2560
 *   ...
 *
 * Then rewrites one 32-bit word in each 4 KiB page of a working set of `mb` MiB (starting at
 * 32 MiB physical), round robin, `rate` MiB/s (= rate*256 pages/s) paced with rdtsc calibrated
 * against PIT channel 2. rate=0 writes as fast as it can. Reports the achieved rate once a second.
 *
 * check=1 makes it a self-checking canary: before writing generation g into a page it reads the
 * page's word, which must hold g-1 (0 on the first pass: fresh guest RAM is zero); a mismatch is a
 * stale page (a write lost, e.g. by a live migration that missed a dirty page). Each progress line
 * then ends with the cumulative count, ` stale=S`, and the first 8 mismatches are printed as
 *
 *   dirtyring-guest: stale page=P found=F expected=E
 *
 * corrupt=N (testing the check itself; needs check=1) skips the writes to N pages (the first N
 * of the working set) once, in the second pass, so that the third pass finds exactly N stale pages.
 *
 * Build: scripts/build-guest (gcc -m32 -ffreestanding -nostdlib -fno-pic -static -T guest.ld).
 */

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

#define MB_MAGIC 0x1BADB002u
#define MB_FLAGS 0x00000003u /* page-align modules, want memory info */

struct multiboot_header { u32 magic, flags, checksum; };

__attribute__((section(".multiboot"), used, aligned(4)))
static const struct multiboot_header mb_header = { MB_MAGIC, MB_FLAGS, (u32)-(MB_MAGIC + MB_FLAGS) };

struct multiboot_info {
    u32 flags, mem_lower, mem_upper, boot_device, cmdline;
    /* ... rest unused */
};

#define STACK_SIZE 16384
/* Not static: the entry code below refers to it by name. */
__attribute__((aligned(16), used)) u8 dr_stack[STACK_SIZE];

void kmain(u32 magic, const struct multiboot_info *mbi);

/* Entry: set a stack, pass (eax = bootloader magic, ebx = multiboot info) to kmain. */
__asm__(
    ".section .text\n"
    ".global _start\n"
    "_start:\n"
    "  cli\n"
    "  mov $(dr_stack + 16384), %esp\n"
    "  push %ebx\n"
    "  push %eax\n"
    "  call kmain\n"
    "1: hlt\n"
    "  jmp 1b\n");

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u64 rdtsc(void) { u32 lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((u64)hi << 32) | lo; }
static inline void cpu_relax(void) { __asm__ volatile("pause"); }

/* ---- serial ---- */
#define COM1 0x3f8
static void serial_init(void) {
    outb(COM1 + 1, 0x00); /* no interrupts */
    outb(COM1 + 3, 0x80); /* DLAB */
    outb(COM1 + 0, 0x01); /* 115200 */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); /* 8N1 */
    outb(COM1 + 2, 0xC7); /* FIFO */
    outb(COM1 + 4, 0x0B);
}
static void putc_(char c) {
    for (int i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++) cpu_relax();
    outb(COM1, (u8)c);
}
static void puts_(const char *s) { while (*s) { if (*s == '\n') putc_('\r'); putc_(*s++); } }
static void putu(u64 v) {
    char buf[24]; int n = 0;
    do { buf[n++] = (char)('0' + (int)(v % 10)); v /= 10; } while (v);
    while (n) putc_(buf[--n]);
}
static void putx(u32 v) {
    puts_("0x");
    for (int i = 28; i >= 0; i -= 4) putc_("0123456789abcdef"[(v >> i) & 15]);
}

/* ---- command line: "[path ]mb=N rate=R" ---- */
static int parse_u32(const char *s, const char *key, u32 *out) {
    /* Finds key at the start of a word; reads decimal digits after it. */
    const char *p = s;
    while (*p) {
        if ((p == s || p[-1] == ' ')) {
            const char *k = key, *q = p;
            while (*k && *q == *k) { k++; q++; }
            if (!*k) {
                u32 v = 0; int digits = 0;
                while (*q >= '0' && *q <= '9') { v = v * 10 + (u32)(*q - '0'); q++; digits++; }
                if (digits) { *out = v; return 1; }
            }
        }
        p++;
    }
    return 0;
}

/* ---- TSC calibration on PIT channel 2 (as Linux's pit_calibrate_tsc) ---- */
static u64 calibrate_tsc_hz(void) {
    const u32 ms = 50;
    const u32 latch = 1193182u * ms / 1000u;
    outb(0x61, (u8)((inb(0x61) & ~0x02) | 0x01)); /* gate on, speaker off */
    outb(0x43, 0xB0);                              /* ch2, lo/hi, mode 0, binary */
    outb(0x42, (u8)(latch & 0xff));
    outb(0x42, (u8)(latch >> 8));
    u64 t0 = rdtsc();
    u32 spins = 0;
    while (!(inb(0x61) & 0x20)) {
        if (++spins > 200000000u) return 0; /* PIT not ticking */
    }
    u64 t1 = rdtsc();
    return (t1 - t0) * 1000u / ms;
}

#define WSET_BASE 0x02000000u /* 32 MiB */
#define PAGE 4096u

void kmain(u32 magic, const struct multiboot_info *mbi) {
    serial_init();
    u32 mb = 64, rate = 10;
    const char *cmdline = "";
    if (magic == 0x2BADB002u && (mbi->flags & 4u) && mbi->cmdline) cmdline = (const char *)mbi->cmdline;
    parse_u32(cmdline, "mb=", &mb);
    parse_u32(cmdline, "rate=", &rate);
    u32 check = 0, corrupt = 0;
    parse_u32(cmdline, "check=", &check);
    parse_u32(cmdline, "corrupt=", &corrupt);
    if (!check) corrupt = 0;

    puts_("dirtyring-guest: up mb="); putu(mb); puts_(" rate="); putu(rate);
    if (check) { puts_(" check=1"); if (corrupt) { puts_(" corrupt="); putu(corrupt); } }
    puts_("\n");

    /* Clamp the working set to the memory the loader reports (mem_upper is KiB above 1 MiB). */
    if (magic == 0x2BADB002u && (mbi->flags & 1u)) {
        u32 top = 0x100000u + mbi->mem_upper * 1024u;
        u32 avail = top > WSET_BASE ? (top - WSET_BASE) >> 20 : 0;
        if (mb > avail) {
            puts_("dirtyring-guest: clamping mb to "); putu(avail); puts_(" (mem_upper KiB=");
            putu(mbi->mem_upper); puts_(")\n");
            mb = avail;
        }
    }
    if (mb == 0) { puts_("dirtyring-guest: no memory for a working set; halting\n"); return; }

    u64 hz = calibrate_tsc_hz();
    if (hz == 0) { puts_("dirtyring-guest: PIT calibration failed; running unpaced\n"); rate = 0; hz = 1000000000ull; }
    puts_("dirtyring-guest: tsc_khz="); putu(hz / 1000u); puts_(" wset="); putx(WSET_BASE);
    puts_("+"); putu(mb); puts_("MiB\n");

    const u32 npages = mb * (1024u * 1024u / PAGE);
    const u64 pages_per_s = (u64)rate * 256u;
    /* Pace in batches of 16 pages so rdtsc isn't on every write. */
    const u32 batch = 16;
    const u64 ticks_per_batch = pages_per_s ? hz * batch / pages_per_s : 0;

    volatile u32 *base = (volatile u32 *)WSET_BASE;
    u32 page = 0, gen = 1;
    u64 now = rdtsc();
    u64 next = now, report = now + hz, written = 0, seconds = 0, stale = 0;
    for (;;) {
        if (check) {
            for (u32 i = 0; i < batch; i++) {
                volatile u32 *word = &base[page * (PAGE / 4)];
                u32 found = *word, expected = gen - 1;
                if (found != expected) {
                    if (stale < 8) {
                        puts_("dirtyring-guest: stale page="); putu(page); puts_(" found="); putu(found);
                        puts_(" expected="); putu(expected); puts_("\n");
                    }
                    stale++;
                }
                /* corrupt=N: leave the first N pages at generation 1 during pass 2. */
                if (!(gen == 2 && page < corrupt)) *word = gen;
                if (++page == npages) { page = 0; gen++; }
            }
        } else {
            for (u32 i = 0; i < batch; i++) {
                base[page * (PAGE / 4)] = gen;
                if (++page == npages) { page = 0; gen++; }
            }
        }
        written += batch;
        if (ticks_per_batch) {
            next += ticks_per_batch;
            while ((now = rdtsc()) < next) {
                if (now >= report) break;
                cpu_relax();
            }
            if (now > next + hz) next = now; /* fell behind by > 1 s: don't burst */
        } else {
            now = rdtsc();
        }
        if (now >= report) {
            seconds++;
            /* achieved MiB/s with one decimal: pages * 10 / 256 */
            u64 tenths = written * 10u / 256u;
            puts_("dirtyring-guest: t="); putu(seconds); puts_(" achieved=");
            putu(tenths / 10u); putc_('.'); putu(tenths % 10u); puts_(" MiB/s pages=");
            putu(written);
            if (check) { puts_(" stale="); putu(stale); }
            puts_("\n");
            written = 0;
            report += hz;
            if (now > report) report = now + hz;
        }
    }
}
