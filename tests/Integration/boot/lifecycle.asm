; PureBoot lab boot image for the disk lifecycle (tests/Integration/LifecycleTests.cs): what a node sees of its disk.
;
;   nasm -f bin -DMARKER='"PUREBOOT-BOOTED-x"' -DDATA='"PUREBOOT-IMAGE-v1-x"' -DWMARK='"PUREBOOT-WRITTEN-x"' -o boot.bin lifecycle.asm
;
; Sector 0 (the boot sector) prints MARKER on COM1 (0x3F8), then, through the BIOS (INT 13h extended read/write:
; iPXE's SAN drive, so iSCSI READs and WRITEs on the target):
;   - reads sector 1 and prints it: DATA, which says which image version the disk is a clone of;
;   - reads sector 2 and prints MARKER-PRESENT when it starts with WMARK (the node wrote it on an earlier boot),
;     else MARKER-ABSENT;
;   - writes WMARK to sector 2 and prints MARKER-WRITTEN (or WRITE-ERROR);
;   - then reads sector 1 again once a second, printing it (so a disk replaced under a running node shows).
; Sector 1 holds DATA; sector 2 is zeros in the image. The test pads the image to 64 MiB (iPXE fails on 1 MiB).

%ifndef MARKER
%define MARKER "PUREBOOT-BOOTED"
%endif
%ifndef DATA
%define DATA "PUREBOOT-IMAGE"
%endif
%ifndef WMARK
%define WMARK "PUREBOOT-WRITTEN"
%endif

bits 16
org 0x7c00

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    sti
    mov [drive], dl
    mov si, marker
    call puts

    mov word [dap_lba], 1       ; sector 1: which image version
    mov ah, 0x42
    call disk
    jc .readerr
    mov si, 0x8000
    call puts

    mov word [dap_lba], 2       ; sector 2: the node's own marker?
    mov ah, 0x42
    call disk
    jc .readerr
    mov si, 0x8000
    mov di, wmark
    mov cx, wmark_len
    repe cmpsb
    mov si, absent
    jne .said
    mov si, present
.said:
    call puts

    mov si, wmark               ; write the marker into the buffer, then to sector 2
    mov di, 0x8000
    mov cx, wmark_len + 1
    rep movsb
    mov word [dap_lba], 2
    mov ax, 0x4300              ; extended write, no verify
    call disk
    mov si, written
    jnc .wrote
    mov si, writeerr
.wrote:
    call puts

.loop:
    mov ah, 0x86                ; wait 1 s
    mov cx, 0x000f
    mov dx, 0x4240
    int 0x15
    mov word [dap_lba], 1
    mov ah, 0x42
    call disk
    jc .readerr
    mov si, 0x8000
    call puts
    jmp .loop
.readerr:
    mov si, readerr
    call puts
    jmp .loop

; INT 13h extended read (AH=42h) or write (AX=4300h) of the DAP's sector into/from 0x8000.
disk:
    mov si, dap
    mov dl, [drive]
    int 0x13
    ret

; print the NUL-terminated string at DS:SI on COM1
puts:
    push dx
    mov dx, 0x3f8
.next:
    lodsb
    test al, al
    jz .done
    out dx, al
    jmp .next
.done:
    pop dx
    ret

drive:    db 0x80
dap:      db 16, 0
          dw 1
          dw 0x8000, 0x0000
dap_lba:  dq 1
marker:   db 13, 10, MARKER, 13, 10, 0
present:  db "MARKER-PRESENT", 13, 10, 0
absent:   db "MARKER-ABSENT", 13, 10, 0
written:  db "MARKER-WRITTEN", 13, 10, 0
writeerr: db "WRITE-ERROR", 13, 10, 0
readerr:  db "READ-ERROR", 13, 10, 0
wmark:    db WMARK
wmark_len equ $ - wmark
          db 0

    times 510-($-$$) db 0
    dw 0xaa55

sector1:
    db DATA, 13, 10, 0
    times 1024-($-$$) db 0
