"""WeChat official account callbacks: signatures, decryption, safe XML, events."""
