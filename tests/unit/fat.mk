# The FAT core (libos/fs/fat_*.c, all but the VFS glue) on image files.
FAT_CORE := fat_cache fat_table fat_name fat_dir fat_file fat_ops
UNIT_BINS += $(B)/tests/unit/test_fat
$(B)/tests/unit/test_fat: $(B)/san/tests/unit/test_fat.o $(FAT_CORE:%=$(B)/san/libos/fs/%.o)
