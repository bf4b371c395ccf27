// SPDX-License-Identifier: GPL-2.0
/*
 * mock-accel: the firmware wordlist (mock-accel-wordlist.txt, one word per line, generated
 * from the EFF large wordlist) and the passphrases the driver makes from it.
 */
#include <linux/firmware.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "mock_accel.h"
#include "../include/uapi/mock_accel.h"

/* Longest word accepted: MAX_WORDS words and their separators always fit the 256-byte buffer. */
#define MOCK_ACCEL_MAX_WORD_LEN \
	(MOCK_ACCEL_PASSPHRASE_LEN / MOCK_ACCEL_PASSPHRASE_MAX_WORDS - 1)
#define MOCK_ACCEL_MAX_WORDS (1U << 20)

void mock_accel_wordlist_free(struct mock_accel_wordlist *words)
{
	if (!words)
		return;
	kvfree(words->offsets);
	kvfree(words->text);
	kfree(words);
}

static bool mock_accel_word_char_ok(char c)
{
	/* '-' separates words in a passphrase, so a word may not hold one. */
	return c > ' ' && c <= '~' && c != '-';
}

/* Parse one word per line ("\n" or "\r\n"; blank lines skipped). Errors name the line. */
static struct mock_accel_wordlist *mock_accel_wordlist_parse(struct device *dev, const u8 *data,
							     size_t size)
{
	struct mock_accel_wordlist *words;
	size_t i, start, lines = 0, count = 0;
	char *text;

	for (i = 0; i < size; i++)
		if (data[i] == '\n')
			lines++;
	lines++;
	if (lines > MOCK_ACCEL_MAX_WORDS) {
		dev_warn(dev, "%s: more than %u lines\n", MOCK_ACCEL_FIRMWARE_FILE, MOCK_ACCEL_MAX_WORDS);
		return ERR_PTR(-EINVAL);
	}
	words = kzalloc(sizeof(*words), GFP_KERNEL);
	if (!words)
		return ERR_PTR(-ENOMEM);
	words->text = kvmalloc(size + 1, GFP_KERNEL);
	words->offsets = kvmalloc_array(lines, sizeof(u32), GFP_KERNEL);
	if (!words->text || !words->offsets) {
		mock_accel_wordlist_free(words);
		return ERR_PTR(-ENOMEM);
	}
	text = words->text;
	memcpy(text, data, size);
	text[size] = '\n';

	start = 0;
	lines = 0;
	for (i = 0; i <= size; i++) {
		size_t end = i, len;

		if (text[i] != '\n')
			continue;
		lines++;
		if (end > start && text[end - 1] == '\r')
			end--;
		text[end] = '\0';
		len = end - start;
		if (len > 0) {
			size_t j;

			for (j = start; j < end; j++)
				if (!mock_accel_word_char_ok(text[j]))
					break;
			if (j < end || len > MOCK_ACCEL_MAX_WORD_LEN) {
				dev_warn(dev, "%s:%zu: not a word (printable, no '-' or space, at most %d bytes)\n",
					 MOCK_ACCEL_FIRMWARE_FILE, lines, MOCK_ACCEL_MAX_WORD_LEN);
				mock_accel_wordlist_free(words);
				return ERR_PTR(-EINVAL);
			}
			words->offsets[count++] = (u32)start;
		}
		start = i + 1;
	}
	if (count == 0) {
		dev_warn(dev, "%s: no words\n", MOCK_ACCEL_FIRMWARE_FILE);
		mock_accel_wordlist_free(words);
		return ERR_PTR(-ENODATA);
	}
	words->count = (u32)count;
	return words;
}

/* (Re)load the wordlist; on failure the previous one, if any, stays. */
int mock_accel_wordlist_load(struct mock_accel_dev *mdev)
{
	struct device *dev = &mdev->pdev->dev;
	struct mock_accel_wordlist *words, *old;
	const struct firmware *fw;
	int rc;

	rc = firmware_request_nowarn(&fw, MOCK_ACCEL_FIRMWARE_FILE, dev);
	if (rc)
		return rc;
	words = mock_accel_wordlist_parse(dev, fw->data, fw->size);
	release_firmware(fw);
	if (IS_ERR(words))
		return PTR_ERR(words);

	mutex_lock(&mdev->lock);
	old = mdev->words;
	mdev->words = words;
	mutex_unlock(&mdev->lock);
	mock_accel_wordlist_free(old);
	dev_info(dev, "loaded %u words from %s\n", words->count, MOCK_ACCEL_FIRMWARE_FILE);
	return 0;
}

static u32 mock_accel_random_below(u32 ceil)
{
#ifdef MOCK_ACCEL_HAVE_GET_RANDOM_U32_BELOW
	return get_random_u32_below(ceil);
#else
	/* Kernels before get_random_u32_below: reject the biased tail of the u32 range. */
	u32 limit = U32_MAX - U32_MAX % ceil, r;

	do
		r = get_random_u32();
	while (r >= limit);
	return r % ceil;
#endif
}

/* A '-'-joined passphrase of `count` random words into out[len]; caller holds mdev->lock. */
int mock_accel_passphrase(struct mock_accel_dev *mdev, unsigned int count, char *out, size_t len)
{
	struct mock_accel_wordlist *words = mdev->words;
	size_t used = 0;
	unsigned int i;

	lockdep_assert_held(&mdev->lock);
	if (!words)
		return -ENODATA;
	for (i = 0; i < count; i++) {
		const char *word = words->text + words->offsets[mock_accel_random_below(words->count)];
		size_t wlen = strlen(word);

		if (used + (i ? 1 : 0) + wlen + 1 > len)
			return -E2BIG;
		if (i)
			out[used++] = '-';
		memcpy(out + used, word, wlen);
		used += wlen;
	}
	out[used] = '\0';
	return 0;
}
