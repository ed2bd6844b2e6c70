//go:build amd64 && !purego

#include "textflag.h"

// The kernels broadcast the 8-byte key into a vector register, then XOR
// four vectors a step (128 bytes with AVX2, 64 with SSE2) and single
// vectors for the rest. Loads and stores are unaligned; lengths are whole
// vectors, the Go side masks what is left.

// func maskAVX2(p *byte, n int, k64 uint64)
TEXT ·maskAVX2(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), DI
	MOVQ n+8(FP), CX
	MOVQ k64+16(FP), X0
	VPBROADCASTQ X0, Y0

	MOVQ CX, DX
	SHRQ $7, DX
	JZ   avx2Single

avx2Block:
	VPXOR   (DI), Y0, Y1
	VPXOR   32(DI), Y0, Y2
	VPXOR   64(DI), Y0, Y3
	VPXOR   96(DI), Y0, Y4
	VMOVDQU Y1, (DI)
	VMOVDQU Y2, 32(DI)
	VMOVDQU Y3, 64(DI)
	VMOVDQU Y4, 96(DI)
	ADDQ    $128, DI
	DECQ    DX
	JNZ     avx2Block
	ANDQ    $127, CX

avx2Single:
	CMPQ    CX, $32
	JB      avx2Done
	VPXOR   (DI), Y0, Y1
	VMOVDQU Y1, (DI)
	ADDQ    $32, DI
	SUBQ    $32, CX
	JMP     avx2Single

avx2Done:
	VZEROUPPER
	RET

// func maskSSE2(p *byte, n int, k64 uint64)
TEXT ·maskSSE2(SB), NOSPLIT, $0-24
	MOVQ       p+0(FP), DI
	MOVQ       n+8(FP), CX
	MOVQ       k64+16(FP), X0
	PUNPCKLQDQ X0, X0

sse2Block:
	CMPQ  CX, $64
	JB    sse2Single
	MOVOU (DI), X1
	MOVOU 16(DI), X2
	MOVOU 32(DI), X3
	MOVOU 48(DI), X4
	PXOR  X0, X1
	PXOR  X0, X2
	PXOR  X0, X3
	PXOR  X0, X4
	MOVOU X1, (DI)
	MOVOU X2, 16(DI)
	MOVOU X3, 32(DI)
	MOVOU X4, 48(DI)
	ADDQ  $64, DI
	SUBQ  $64, CX
	JMP   sse2Block

sse2Single:
	CMPQ  CX, $16
	JB    sse2Done
	MOVOU (DI), X1
	PXOR  X0, X1
	MOVOU X1, (DI)
	ADDQ  $16, DI
	SUBQ  $16, CX
	JMP   sse2Single

sse2Done:
	RET

// func maskCopyAVX2(dst, src *byte, n int, k64 uint64)
TEXT ·maskCopyAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ k64+24(FP), X0
	VPBROADCASTQ X0, Y0

copyAVX2Block:
	CMPQ    CX, $128
	JB      copyAVX2Single
	VPXOR   (SI), Y0, Y1
	VPXOR   32(SI), Y0, Y2
	VPXOR   64(SI), Y0, Y3
	VPXOR   96(SI), Y0, Y4
	VMOVDQU Y1, (DI)
	VMOVDQU Y2, 32(DI)
	VMOVDQU Y3, 64(DI)
	VMOVDQU Y4, 96(DI)
	ADDQ    $128, SI
	ADDQ    $128, DI
	SUBQ    $128, CX
	JMP     copyAVX2Block

copyAVX2Single:
	CMPQ    CX, $32
	JB      copyAVX2Done
	VPXOR   (SI), Y0, Y1
	VMOVDQU Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $32, CX
	JMP     copyAVX2Single

copyAVX2Done:
	VZEROUPPER
	RET

// func maskCopySSE2(dst, src *byte, n int, k64 uint64)
TEXT ·maskCopySSE2(SB), NOSPLIT, $0-32
	MOVQ       dst+0(FP), DI
	MOVQ       src+8(FP), SI
	MOVQ       n+16(FP), CX
	MOVQ       k64+24(FP), X0
	PUNPCKLQDQ X0, X0

copySSE2Block:
	CMPQ  CX, $64
	JB    copySSE2Single
	MOVOU (SI), X1
	MOVOU 16(SI), X2
	MOVOU 32(SI), X3
	MOVOU 48(SI), X4
	PXOR  X0, X1
	PXOR  X0, X2
	PXOR  X0, X3
	PXOR  X0, X4
	MOVOU X1, (DI)
	MOVOU X2, 16(DI)
	MOVOU X3, 32(DI)
	MOVOU X4, 48(DI)
	ADDQ  $64, SI
	ADDQ  $64, DI
	SUBQ  $64, CX
	JMP   copySSE2Block

copySSE2Single:
	CMPQ  CX, $16
	JB    copySSE2Done
	MOVOU (SI), X1
	PXOR  X0, X1
	MOVOU X1, (DI)
	ADDQ  $16, SI
	ADDQ  $16, DI
	SUBQ  $16, CX
	JMP   copySSE2Single

copySSE2Done:
	RET

// func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL leaf+0(FP), AX
	MOVL sub+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET
