//! keyward-card: the smart-card minidriver shared key (cardmod.h v7) over GlobalPlatform SCP03.
