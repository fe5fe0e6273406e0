# Unit tests of the library OS's memory-mapping bookkeeping (libos/mm/).
UNIT_BINS += $(B)/tests/unit/test_vma

$(B)/san/libos/mm/vma.o: SAN_CFLAGS += -Ilibos/include -idirafter $(B)/include-linux
$(B)/san/libos/mm/vma.o: $(B)/include-linux/.done
$(B)/tests/unit/test_vma: $(B)/san/tests/unit/test_vma.o $(B)/san/libos/mm/vma.o
