from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.forms import LoginForm, ProfileForm, SignupForm, ThrottledForm
from chat import ratelimit
from chat.services.onboarding import user_onboard


def _refused_if_throttled(response: HttpResponse, form: ThrottledForm) -> HttpResponse:
    """A form a rate limit refused is answered 429, with when to try again."""
    if form.retry_after is not None:
        response.status_code = 429
        response["Retry-After"] = str(form.retry_after)
    return response


class LoginView(auth_views.LoginView):
    """Django's sign-in page, with the throttled form."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        return _refused_if_throttled(response, form) if isinstance(form, ThrottledForm) else response


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("chat:index")
    form = SignupForm(
        request.POST if request.method == "POST" else None, address=ratelimit.client_address(request)
    )
    if form.is_valid():
        user = form.save()
        user_onboard(user=user)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("chat:index")
    return _refused_if_throttled(render(request, "registration/signup.html", {"form": form}), form)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile was saved."))
        return redirect("profile")
    return render(request, "registration/profile.html", {"form": form})
