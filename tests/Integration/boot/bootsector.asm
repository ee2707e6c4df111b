; PureBoot lab boot image: what a diskless node boots from its iSCSI LUN in tests/Integration/BootTests.cs.
;
;   nasm -f bin -DMARKER='"PUREBOOT-BOOTED-xyz"' -DDATA='"PUREBOOT-DATA-xyz"' -o boot.bin bootsector.asm
;
; Sector 0 (the boot sector, 0x55AA) writes MARKER to the first serial port (0x3F8), then reads sector 1 of
; the boot disk through the BIOS (INT 13h extended read: iPXE's SAN drive, i.e. an iSCSI READ on the
; target) once a second, printing the text found there (DATA) or READ-ERROR, forever. So the serial output
; shows that the node booted from its LUN, and then that its disk stays readable with the same data
; across a restart of the export (the iSCSI session drops and iPXE logs in again).
; Sector 1 holds DATA. The test pads the image to 64 MiB (iPXE fails on a 1 MiB disk).

%ifndef MARKER
%define MARKER "PUREBOOT-BOOTED"
%endif
%ifndef DATA
%define DATA "PUREBOOT-DATA"
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

read_loop:
    mov si, dap
    mov ah, 0x42                ; extended read: DAP at DS:SI
    mov dl, [drive]
    int 0x13
    jc .failed
    mov si, 0x8000              ; sector 1 landed here
    call puts
    jmp .wait
.failed:
    mov si, readerr
    call puts
.wait:
    mov ah, 0x86                ; wait CX:DX microseconds (1 s)
    mov cx, 0x000f
    mov dx, 0x4240
    int 0x15
    jmp read_loop

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

drive:   db 0x80
dap:     db 16, 0               ; size, reserved
         dw 1                   ; sectors
         dw 0x8000, 0x0000      ; buffer offset, segment
         dq 1                   ; LBA
marker:  db 13, 10, MARKER, 13, 10, 0
readerr: db "READ-ERROR", 13, 10, 0

    times 510-($-$$) db 0
    dw 0xaa55

; sector 1: the data the loop reads back
sector1:
    db DATA, 13, 10, 0
    times 1024-($-$$) db 0
